"""Checking a password, limited: attempts are counted per (account, address), per address and per account.

The UI and the API sign in through ``SignIns.authenticate``, and change a password through
``SignIns.change_password``, so they share one count, kept in the database for every process. Each attempt
is counted *before* its password is verified (a reservation), so concurrent guesses count too; a right
password takes its reservation back. Within ``window`` (starting at a key's first failure):

- ``pair_limit`` failures for one account from one address refuse that account from that address;
- ``address_limit`` failures from one address refuse that address for every account;
- ``account_ceiling`` failures for one account, from all addresses together, refuse that account from every
  address except those it signed in from within ``known_for``. A guesser spread over many addresses gets at
  most ``account_ceiling`` verifications per window; the owner, at an address they used before, still
  signs in. Nobody can lock an account out from every address with ``pair_limit`` failures any more.

Refusals — even of the right password — raise ``TooManySignIns``. An account counts in its canonical form
(``LI`` counts for ``li``); an IPv6 address counts by its /64 network (one host has them all). Keys are
stored hashed: the table holds no usernames and no addresses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

from application.common.clock import Clock
from application.common.errors import ApplicationError, InvalidInput
from application.users.application import UsersApplication
from application.users.identity import IdentityProvider, LocalAccounts
from application.users.password_rule import WRONG_CURRENT, WeakPassword
from application.users.totp import TwoFactor
from application.users.views import UserView
from domain.shared.values import Actor
from domain.users.aggregate import canonical_username

PAIR_LIMIT = 10
ADDRESS_LIMIT = 30
ACCOUNT_CEILING = 100
WINDOW = timedelta(minutes=15)
KNOWN_FOR = timedelta(days=30)
T = TypeVar("T")


class TooManySignIns(ApplicationError):
    """Raised when an account or a client address failed to sign in too often; ``retry_after`` in seconds."""

    code = "too_many_requests"

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")
        self.retry_after = retry_after


Reserved = dict[str, tuple[int, float]]


class FailureCounts(Protocol):
    """Counts of attempts per key, each in a window that starts at its first failure (infrastructure)."""

    def reserve(self, keys: Sequence[str], now: float, window_seconds: float) -> Reserved:
        """Count one attempt for each key at once; each key's count with it and its window's start."""

    def release(self, reserved: Reserved) -> None:
        """Take back the attempts of ``reserved`` (in windows that have not started again since)."""

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""

    def remember(self, key: str, now: float, forget_before: float) -> None:
        """Note a success under ``key`` at ``now`` (and forget successes before ``forget_before``)."""

    def known(self, key: str, since: float) -> bool:
        """Whether a success was noted under ``key`` at ``since`` or later."""


class NoCounts:
    """No limit (a service built without a count)."""

    def reserve(self, keys: Sequence[str], now: float, window_seconds: float) -> Reserved:
        return {key: (1, now) for key in keys}

    def release(self, reserved: Reserved) -> None:
        return None

    def clear(self, key: str) -> None:
        return None

    def remember(self, key: str, now: float, forget_before: float) -> None:
        return None

    def known(self, key: str, since: float) -> bool:
        return True


def _name(username: object) -> str:
    return canonical_username(username) if isinstance(username, str) else repr(username)


def _network(address: str) -> str:
    """The address as counted: an IPv6 address by its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        return str(mapped) if mapped else str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def account_key(username: object) -> str:
    """The key of an account's count (canonical, hashed)."""
    return _hash(f"account:{_name(username)}")


def address_key(address: str) -> str:
    """The key of a client address's count (hashed)."""
    return _hash(f"address:{_network(address)}")


def pair_key(username: object, address: str) -> str:
    """The key of the count of one account from one address (hashed)."""
    return _hash(f"pair:{_name(username)}\n{_network(address)}")


def known_key(username: object, address: str) -> str:
    """The key under which an account's successful sign-ins from an address are noted (hashed)."""
    return _hash(f"known:{_name(username)}\n{_network(address)}")


@dataclass(frozen=True)
class _Keys:
    pair: str
    address: str
    account: str
    known: str


class SignIns:
    """Checks passwords for the UI and the API, within the limits."""

    def __init__(self, users: UsersApplication, counts: FailureCounts, clock: Clock,
                 pair_limit: int = PAIR_LIMIT, address_limit: int = ADDRESS_LIMIT,
                 account_ceiling: int = ACCOUNT_CEILING, window: timedelta = WINDOW,
                 known_for: timedelta = KNOWN_FOR, identity: IdentityProvider | None = None,
                 two_factor: TwoFactor | None = None):
        self.users, self.counts, self.clock = users, counts, clock
        self.two_factor = two_factor or TwoFactor(users, clock)
        self.identity: IdentityProvider = identity or LocalAccounts(users, self.two_factor)
        self.pair_limit, self.address_limit, self.account_ceiling = pair_limit, address_limit, account_ceiling
        self.window, self.known_for = window, known_for

    def authenticate(self, username: str, password: str, address: str, limited: bool = True,
                     otp: str | None = None) -> Actor | None:
        """The actor for a correct username and password (and one-time code, where the account has one), else
        None; ``TooManySignIns`` over the limits, ``OtpRequired`` for a right password without a needed code.

        A wrong code counts as a failed sign-in, like a wrong password."""
        def attempt() -> Actor | None:
            return self.identity.authenticate(username, password, otp, address)

        return attempt() if not limited else self._limited(username, address, attempt)

    def change_password(self, actor: Actor, current_password: str, new_password: str, address: str,
                        limited: bool = True) -> UserView:
        """Change the actor's own password; a wrong current password counts as a failed sign-in."""
        if not limited:
            return self.users.change_password(actor, current_password, new_password)

        def attempt() -> UserView | None:
            try:
                return self.users.change_password(actor, current_password, new_password)
            except WeakPassword as error:
                if error.field == "current_password":
                    return None
                raise  # the current password was right: not a failure (the reservation is taken back)

        user = self._limited(actor.user_id, address, attempt)
        if user is None:
            raise WeakPassword("current_password", WRONG_CURRENT)
        return user

    def confirm_totp(self, actor: Actor, password: str, code: str, address: str, limited: bool = True) -> None:
        """Turn the actor's two-step sign-in on; a wrong password or code counts as a failed sign-in."""
        self._counted(actor, address, limited, lambda: self.two_factor.confirm(actor, code, password))

    def disable_totp(self, actor: Actor, password: str, code: str, address: str, limited: bool = True) -> None:
        """Turn the actor's two-step sign-in off; a wrong password or code counts as a failed sign-in."""
        self._counted(actor, address, limited, lambda: self.two_factor.disable(actor, password, code))

    def _counted(self, actor: Actor, address: str, limited: bool, change: Callable[[], None]) -> None:
        """Make ``change``, a wrong password or code in it counting as a failed sign-in of the actor."""
        if not limited:
            return change()
        refused: list[InvalidInput] = []

        def attempt() -> bool | None:
            try:
                change()
            except InvalidInput as error:  # a wrong password or code: a failure, raised once it is counted
                refused.append(error)
                return None
            return True

        if self._limited(actor.user_id, address, attempt) is None:
            raise refused[0]
        return None

    def _limited(self, username: str, address: str, attempt: Callable[[], T | None]) -> T | None:
        keys = _Keys(pair_key(username, address), address_key(address), account_key(username),
                     known_key(username, address))
        now = self._now()
        reserved = self.counts.reserve([keys.pair, keys.address, keys.account], now, self.window.total_seconds())
        try:
            self._refuse_if_over(reserved, keys, now)
            result = attempt()
        except BaseException:
            self.counts.release(reserved)  # refused, or not checked to the end: no failure
            raise
        if result is not None:
            self.counts.release({key: reserved[key] for key in (keys.address, keys.account)})
            self.counts.clear(keys.pair)
            self.counts.remember(keys.known, now, now - self.known_for.total_seconds())
        return result

    def _refuse_if_over(self, reserved: Reserved, keys: _Keys, now: float) -> None:
        limits = {keys.pair: self.pair_limit, keys.address: self.address_limit}
        if reserved[keys.account][0] > self.account_ceiling \
                and not self.counts.known(keys.known, now - self.known_for.total_seconds()):
            limits[keys.account] = self.account_ceiling
        window = self.window.total_seconds()
        waits = [reserved[key][1] + window - now for key, limit in limits.items() if reserved[key][0] > limit]
        if waits:
            raise TooManySignIns(max(1, math.ceil(max(waits))))

    def _now(self) -> float:
        return self.clock.now().timestamp()
