"""Checking what a petition is submitted with: the enterprise (python-stdnum), the channel, numbers."""

from __future__ import annotations

import re
import secrets
from datetime import date

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from application.cases.applicants import NUMBER_ALPHABET, check_choice
from application.common.errors import InvalidInput
from domain.petition.values import Enterprise, PetitionChannel

NUMBER = re.compile(r"[A-Za-z0-9-]{1,40}")  # petition and case numbers alike


def check_enterprise(name: object, credit_code: object = None) -> Enterprise:
    """Return the enterprise if it has a name and, when a credit code is given, a valid one (check digit too)."""
    problems: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        problems["enterprise.name"] = ["the enterprise's name is required"]
    code = None
    if credit_code is not None and credit_code != "":
        code = uscc.compact(credit_code) if isinstance(credit_code, str) else ""
        try:
            uscc.validate(code)
        except ValidationError as error:
            problems["enterprise.credit_code"] = [
                f"{credit_code!r} is not a valid unified social credit code ({error})"]
    if problems:
        field, messages = next(iter(problems.items()))
        raise InvalidInput(f"{field}: {messages[0]}", problems)
    return Enterprise(str(name).strip(), code)


def check_petition_channel(channel: object) -> PetitionChannel:
    """Return the petition channel, or raise ``InvalidInput`` listing the allowed ones."""
    return check_choice(PetitionChannel, channel)


def check_number(value: object, field: str) -> str:
    """Return ``value`` if it is a petition or case number (letters, digits and '-')."""
    if not isinstance(value, str) or not NUMBER.fullmatch(value):
        raise InvalidInput(f"{field}: letters, digits and '-' only", {field: ["letters, digits and '-'"]})
    return value


def new_petition_number(today: date) -> str:
    """Return a fresh petition number such as ``QH20261121-7KQ2MX`` (企呼; collisions are retried)."""
    token = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
    return f"QH{today:%Y%m%d}-{token}"
