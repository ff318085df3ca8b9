"""Signing in, limited: failures are counted per account and per client address, in the database.

The UI and the API sign in through ``SignIns.authenticate``, so they share one count, and every process
sees it. An account (in its canonical form, so ``LI`` counts for ``li``) with ``account_limit`` failures
in ``window``, or an address with ``address_limit``, is refused — even with the right password — until the
window that began with its first failure has passed. A successful sign-in clears the account's count.
Keys are stored hashed: the table holds no usernames and no addresses.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from application.clock import Clock
from application.errors import ApplicationError
from application.users import UsersApplication
from domain.users import canonical_username
from domain.values import Actor

ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 30
WINDOW = timedelta(minutes=15)


class TooManySignIns(ApplicationError):
    """Raised when an account or a client address failed to sign in too often; ``retry_after`` in seconds."""

    code = "too_many_requests"

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")
        self.retry_after = retry_after


class FailureCounts(Protocol):
    """Counts of failures per key, each in a window that starts at its first failure (infrastructure)."""

    def counts(self, keys: Sequence[str]) -> dict[str, tuple[int, float]]:
        """Each known key's failures and the start of its window (epoch seconds)."""

    def add_failure(self, keys: Sequence[str], now: float, window_seconds: float) -> None:
        """Count one failure for each key (a window older than ``window_seconds`` starts again at ``now``)."""

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""


def account_key(username: object) -> str:
    """The key of an account's count (canonical, hashed)."""
    name = canonical_username(username) if isinstance(username, str) else repr(username)
    return hashlib.sha256(f"account:{name}".encode()).hexdigest()


def address_key(address: str) -> str:
    """The key of a client address's count (hashed)."""
    return hashlib.sha256(f"address:{address}".encode()).hexdigest()


class SignIns:
    """Checks passwords for the UI and the API, within the limits."""

    def __init__(self, users: UsersApplication, counts: FailureCounts, clock: Clock,
                 account_limit: int = ACCOUNT_LIMIT, address_limit: int = ADDRESS_LIMIT, window: timedelta = WINDOW):
        self.users, self.counts, self.clock = users, counts, clock
        self.account_limit, self.address_limit, self.window = account_limit, address_limit, window

    def authenticate(self, username: str, password: str, address: str, limited: bool = True) -> Actor | None:
        """The actor for a correct username and password, else None; ``TooManySignIns`` over the limits."""
        if not limited:
            return self.users.authenticate(username, password)
        keys = [account_key(username), address_key(address or "unknown")]
        self._refuse_if_over(keys)
        actor = self.users.authenticate(username, password)
        if actor is None:
            self.counts.add_failure(keys, self._now(), self.window.total_seconds())
        else:
            self.counts.clear(keys[0])
        return actor

    def _refuse_if_over(self, keys: list[str]) -> None:
        now, window = self._now(), self.window.total_seconds()
        counts = self.counts.counts(keys)
        waits = [started + window - now for key, limit in zip(keys, (self.account_limit, self.address_limit),
                                                              strict=True)
                 for failures, started in [counts.get(key, (0, now))]
                 if failures >= limit and now - started < window]
        if waits:
            raise TooManySignIns(max(1, math.ceil(max(waits))))

    def _now(self) -> float:
        return self.clock.now().timestamp()
