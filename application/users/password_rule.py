"""The password rule, checked when a user is created and whenever a password changes.

A password has at least 10 characters (at most 256), at least 5 different ones, is not one character
repeated, a run such as ``abcdef`` or ``98765`` nor one block repeated (``1234512345``), does not contain
the username (compared case- and width-insensitively), and is not a common password — nor a common one
with digits or symbols added before or after it (``Password123``, ``123password``, ``!!password!!``).
The common passwords come from a list the composition root supplies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from application.common.errors import InvalidInput
from domain.users.aggregate import canonical_username

MIN_LENGTH, MAX_LENGTH, MIN_DISTINCT = 10, 256, 5
SHORTEST_NAME_CHECKED = 3  # shorter usernames ("li") occur by chance inside good passwords
LEADING_DIGITS_OR_SYMBOLS, TRAILING_DIGITS_OR_SYMBOLS = re.compile(r"^[\W\d_]+"), re.compile(r"[\W\d_]+$")
REPEATED_BLOCK = re.compile(r"(.+?)\1+", re.DOTALL)


@dataclass(frozen=True)
class Words:
    """One message in English and Chinese."""

    en: str
    zh: str

    def __str__(self) -> str:
        return f"{self.en} / {self.zh}"


TOO_SHORT = Words(f"at least {MIN_LENGTH} characters", f"密码至少 {MIN_LENGTH} 个字符")
TOO_LONG = Words(f"at most {MAX_LENGTH} characters", f"密码最多 {MAX_LENGTH} 个字符")
ONE_CHARACTER = Words("not one character repeated", "密码不能由同一个字符重复组成")
TOO_FEW_DISTINCT = Words(f"at least {MIN_DISTINCT} different characters", f"密码至少包含 {MIN_DISTINCT} 个不同的字符")
SEQUENCE = Words("not a sequence such as abcdef or 987654", "密码不能是 abcdef、987654 这样的连续序列")
REPEATED = Words("not one block repeated, such as 1234512345", "密码不能由同一段字符重复组成（如 1234512345）")
HAS_USERNAME = Words("must not contain the username", "密码不能包含用户名")
COMMON = Words("too common: it is on the lists of passwords attackers try first",
               "密码过于常见，是攻击者最先尝试的密码之一")
SAME_AS_BEFORE = Words("must differ from the current password", "新密码不能与当前密码相同")
WRONG_CURRENT = Words("the current password is not correct", "当前密码不正确")


class WeakPassword(InvalidInput):
    """Raised when a password breaks the rule (or the current password is wrong); ``words`` says why in zh/en."""

    def __init__(self, field: str, words: Words):
        super().__init__(f"{field}: {words}", {field: [str(words)]})
        self.field, self.words = field, words


def password_problem(password: object, username: str, is_common: Callable[[str], bool]) -> Words | None:
    """What is wrong with ``password`` for ``username``, or None if it keeps the rule."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = canonical_username(password)
    if len(set(folded)) == 1:
        return ONE_CHARACTER
    if len(set(folded)) < MIN_DISTINCT:
        return TOO_FEW_DISTINCT
    if _is_run(folded):
        return SEQUENCE
    if REPEATED_BLOCK.fullmatch(folded):
        return REPEATED
    name = canonical_username(username) if isinstance(username, str) else ""
    if len(name) >= SHORTEST_NAME_CHECKED and name in folded:
        return HAS_USERNAME
    if any(stem and is_common(stem) for stem in _stems(folded)):
        return COMMON
    return None


def check_password(password: object, username: str, is_common: Callable[[str], bool],
                   field: str = "password") -> None:
    """Raise ``WeakPassword`` naming ``field`` if ``password`` breaks the rule."""
    problem = password_problem(password, username, is_common)
    if problem is not None:
        raise WeakPassword(field, problem)


def _stems(folded: str) -> set[str]:
    """The password, and the password without the digits or symbols before it, after it, or both."""
    before = LEADING_DIGITS_OR_SYMBOLS.sub("", folded)
    return {folded, before, TRAILING_DIGITS_OR_SYMBOLS.sub("", folded), TRAILING_DIGITS_OR_SYMBOLS.sub("", before)}


def _is_run(text: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})
