"""The text rules every aggregate applies to what people type: storable, not too long, a reason when needed."""

from __future__ import annotations

import re

from domain.shared import errors

MAX_TEXT = 2000  # characters in a reason, comment or file name
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # NUL, controls, lone surrogates


def is_storable_text(value: str) -> bool:
    """Whether every database OneThing runs on can store ``value`` (PostgreSQL refuses NUL)."""
    return UNSTORABLE.search(value) is None


def check_text(value: object, name: str) -> None:
    """Raise ``InvalidValue`` unless ``value`` is text of at most MAX_TEXT storable characters."""
    if not isinstance(value, str) or len(value) > MAX_TEXT or not is_storable_text(value):
        raise errors.InvalidValue(f"{name} must be text of at most {MAX_TEXT} characters, "
                                  "without control characters")


def check_reason(reason: str) -> None:
    """Raise ``ReasonRequired`` for an empty reason (``InvalidValue`` for one that is not storable text)."""
    check_text(reason, "reason")
    if not reason.strip():
        raise errors.ReasonRequired("this command needs a reason")
