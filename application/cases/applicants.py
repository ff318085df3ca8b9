"""Checking who files: names and unified social credit codes (python-stdnum)."""

from __future__ import annotations

import secrets
from datetime import date
from enum import Enum
from typing import TypeVar

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from application.common.errors import InvalidInput
from domain.shared.values import Applicant, Channel

E = TypeVar("E", bound=Enum)

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at the window


def check_applicant(name: str, credit_code: str) -> Applicant:
    """Return the applicant if the name is given and the credit code is valid (check digit too)."""
    problems: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        problems["applicant.name"] = ["the applicant's name is required"]
    code = uscc.compact(credit_code) if isinstance(credit_code, str) else ""
    try:
        uscc.validate(code)
    except ValidationError as error:
        problems["applicant.credit_code"] = [
            f"{credit_code!r} is not a valid unified social credit code ({error})"
        ]
    if problems:
        field, messages = next(iter(problems.items()))
        raise InvalidInput(f"{field}: {messages[0]}", problems)
    return Applicant(name.strip(), code)


def check_choice(choices: type[E], value: object, field: str = "channel") -> E:
    """Return ``value`` as one of the enum ``choices``, or raise ``InvalidInput`` listing the allowed ones."""
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(str(c.value) for c in choices)
        raise InvalidInput(f"{field}: one of {allowed}", {field: [f"one of {allowed}"]}) from None


def check_channel(channel: str) -> Channel:
    """Return the case channel, or raise ``InvalidInput`` listing the allowed ones."""
    return check_choice(Channel, channel)


def new_case_number(today: date) -> str:
    """Return a fresh case number such as ``YJS20261121-7KQ2MX`` (collisions are retried)."""
    token = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
    return f"YJS{today:%Y%m%d}-{token}"
