"""Password hashing with Argon2id (argon2-cffi), and the list of common passwords (zxcvbn's)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """Hashes and checks passwords; the application only ever sees the hash."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        """Return the Argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Return whether ``password`` matches ``password_hash``."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def is_common_password(folded: str) -> bool:
    """Whether ``folded`` (lower case) is one of the 30,000 most common passwords of zxcvbn's list."""
    return folded in _common_passwords()


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn (Dropbox's estimator, maintained as the `zxcvbn` package) ships the list drawn from leaked
    # password sets; loaded on first use, as it costs a few megabytes.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])
