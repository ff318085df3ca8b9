"""Requests sent with an ``Idempotency-Key``: a retry returns the first result and writes nothing new.

The promise must hold through crashes, so nothing is claimed beforehand and nothing is stored afterwards
in a transaction of its own: the event store writes the request's key in the **same transaction** as the
command's events (``infrastructure.eventstore.recorders``). A request's key is therefore recorded if and only if its
write committed. A retry — after a time-out, a lost answer or a server killed at any moment — finds the
record and gets the first result (``Earlier``) instead of running the command again; a retry of a request
that never committed finds nothing and simply runs. Two copies running at once cannot both commit: the
second one's events or key collide with the first's, and that retry then finds the first's record.

The web layer opens the scope (``requested``) around a command; the application's retry loop asks
``earlier_result`` before running and after every collision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from application.common.errors import IdempotencyKeyReused


@dataclass(frozen=True)
class Earlier:
    """What a committed request wrote: the last event of its command (which store, aggregate, version),
    where that event landed in the store's notification log, and the digest of the request that wrote it."""

    events_table: str
    aggregate_id: str
    version: int
    notification_id: int | None
    digest: str = ""


@dataclass
class Request:
    """One request with an ``Idempotency-Key``, while its command runs."""

    user: str
    key: str
    digest: str  # of method, path and body: the same key for another request is refused
    earlier: Earlier | None = None  # what a first attempt committed, if the web layer found it already
    written: bool = False  # set by the event store once the key committed with this request's events
    replayed: bool = False  # set when the command returned the earlier result instead of running


class RequestLedger(Protocol):
    """Where the event store keeps the keys of committed requests."""

    def committed_request(self, user: str, key: str) -> Earlier | None:
        """What the request with this key committed, if it did."""


_current: ContextVar[Request | None] = ContextVar("onething_request", default=None)


@contextmanager
def requested(request: Request) -> Iterator[Request]:
    """Run the commands inside as this request (its key is recorded with their events)."""
    token = _current.set(request)
    try:
        yield request
    finally:
        _current.reset(token)


def current_request() -> Request | None:
    """The request whose command runs now, if it was sent with an ``Idempotency-Key``."""
    return _current.get()


def earlier_result(ledger: RequestLedger, events_table: str, look_again: bool) -> Earlier | None:
    """What this request already committed in the store ``events_table``, if anything.

    Before the first attempt the web layer's finding is used as it is (no read); after a collision the
    ledger is read again (``look_again``), since the colliding write may have been this very request's.
    A key that another request (another method, path or body) committed is refused, never answered with.
    """
    request = _current.get()
    if request is None or request.written:  # its own write is done: a later command of it is its own
        return None
    if look_again and request.earlier is None:
        request.earlier = ledger.committed_request(request.user, request.key)
    earlier = request.earlier
    if earlier is None:
        return None
    if earlier.digest != request.digest:
        raise IdempotencyKeyReused(f"Idempotency-Key {request.key!r} was used for another request",
                                   {"Idempotency-Key": ["used for another request"]})
    if earlier.events_table != events_table:
        return None
    request.replayed = True
    return earlier
