"""Reads after writes across processes: the consistency token (shared/API.md, "Consistency across processes").

Read models are projections that a worker — maybe another process — brings up to date after a write commits.
So that a user's next read shows what they just did, whichever process serves it:

* the web layer opens a ``Writes`` record around each request (``noting_writes``); the event store notes in it
  where each committed event landed in its store's notification log (``note_written``), and so do commands
  that answer a retried request with what it committed earlier;
* the answer to a write carries the highest position per store as a ``ConsistencyToken``
  (``X-Consistency-Token``; the UI keeps it in the session);
* a read that presents a token first waits, for at most ``WAIT_SECONDS``, until every read model of each
  store named in it has processed that position (``ReadModelsBehind`` if not: HTTP 503 with ``Retry-After``).

The token holds only positions in notification logs: it names no aggregate and grants nothing. A forged one
can at most make its own request wait.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from application.common.errors import ApplicationError, InvalidInput

WAIT_SECONDS = 2.0  # a read waits this long for the read models, then is answered 503
RETRY_AFTER_SECONDS = 1
TOKEN_VERSION = "1"
_PART = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,63})=([0-9]{1,18})")
MAX_TOKEN_LENGTH = 512


class ReadModelsBehind(ApplicationError):
    """Raised when the read models did not include a presented write in time (HTTP 503, ``Retry-After``)."""

    code = "read_models_behind"


@dataclass(frozen=True)
class ConsistencyToken:
    """The highest position a client's writes reached in each store's notification log (store name → id)."""

    positions: Mapping[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        """``1:Cases=1042,Petitions=7`` — a format version, then each store's position, by store name."""
        return f"{TOKEN_VERSION}:" + ",".join(f"{name}={position}" for name, position in sorted(self.positions.items()))

    @classmethod
    def parse(cls, text: str, known: frozenset[str] | set[str] | None = None) -> ConsistencyToken:
        """The token a client sent back (``InvalidInput`` if it is not one this service gives, or names a store
        that ``known`` does not hold)."""
        value = text.strip()
        version, colon, rest = value.partition(":")
        parts = [p for p in rest.split(",") if p] if colon else []
        matches = [_PART.fullmatch(p) for p in parts]
        if len(value) > MAX_TOKEN_LENGTH or version != TOKEN_VERSION or not colon or not all(matches):
            raise InvalidInput("X-Consistency-Token: send back the value a write answered with, unchanged",
                               {"X-Consistency-Token": ["not a consistency token"]})
        positions = {m.group(1): int(m.group(2)) for m in matches if m}
        unknown = sorted(set(positions) - set(known)) if known is not None else []
        if unknown:
            raise InvalidInput(f"X-Consistency-Token: no store is called {unknown[0]}",
                               {"X-Consistency-Token": [f"unknown store {unknown[0]}"]})
        return cls(positions)

    def merged(self, other: ConsistencyToken) -> ConsistencyToken:
        """The later of both tokens' positions, store by store."""
        positions = dict(self.positions)
        for name, position in other.positions.items():
            positions[name] = max(position, positions.get(name, 0))
        return ConsistencyToken(positions)


@dataclass
class Writes:
    """What one request wrote: the highest position per events table (the event store's name for a store)."""

    by_table: dict[str, int] = field(default_factory=dict)

    def note(self, events_table: str, position: int) -> None:
        self.by_table[events_table] = max(position, self.by_table.get(events_table, 0))


_current: ContextVar[Writes | None] = ContextVar("onething_writes", default=None)


@contextmanager
def noting_writes() -> Iterator[Writes]:
    """Note, until the block ends, where this request's committed events landed."""
    writes = Writes()
    token = _current.set(writes)
    try:
        yield writes
    finally:
        _current.reset(token)


def start_noting() -> tuple[Writes, object]:
    """``noting_writes`` for frameworks that open and close a request in separate hooks: returns the record and
    what ``stop_noting`` needs."""
    writes = Writes()
    return writes, _current.set(writes)


def stop_noting(handle: object) -> None:
    """Close what ``start_noting`` opened."""
    try:
        _current.reset(handle)  # type: ignore[arg-type]
    except ValueError:  # closed in another context than it was opened in: nothing of it is left here
        _current.set(None)


def note_written(events_table: str, position: int | None) -> None:
    """Called by the event store once events committed (and by commands answering a retry with an earlier
    result): the request being served, if any, wrote up to ``position`` in ``events_table``."""
    writes = _current.get()
    if writes is not None and position is not None:
        writes.note(events_table, position)


class ReadPositions(Protocol):
    """Where the read models stand (``infrastructure.readmodels.runner.ReadModelRunner``)."""

    def wait_for(self, positions: Mapping[str, int], timeout: float) -> bool:
        """Whether the read models of each named store processed its position within ``timeout`` seconds."""

    def store_names(self) -> dict[str, str]:
        """Each store's events table → the store's name."""

    def heads(self) -> dict[str, int]:
        """Each store's highest position so far (by store name)."""


class Consistency:
    """Makes the tokens a write answers with, and makes a read that presents one wait for the read models."""

    def __init__(self, read_models: ReadPositions, wait_seconds: float = WAIT_SECONDS):
        self.read_models, self.wait_seconds = read_models, wait_seconds
        self._names: dict[str, str] | None = None

    def token_of(self, writes: Writes) -> ConsistencyToken:
        """The token of what one request wrote (empty if it wrote nothing)."""
        names = self._store_names()
        return ConsistencyToken({names[table]: position for table, position in writes.by_table.items()
                                 if table in names})

    def parse(self, text: str) -> ConsistencyToken:
        """A token a client sent (``InvalidInput`` if it is not one)."""
        return ConsistencyToken.parse(text, set(self._store_names().values()))

    def wait(self, token: ConsistencyToken) -> None:
        """Return once the read models include every write the token names; ``ReadModelsBehind`` after
        ``wait_seconds``."""
        if not token.positions or self.read_models.wait_for(token.positions, 0):
            return  # nothing to wait for, or there already: one read of the positions
        heads = self.read_models.heads()
        beyond = sorted(name for name, position in token.positions.items() if position > heads.get(name, 0))
        if beyond:  # no write of this service got there: a made-up token is refused, not waited for
            raise InvalidInput(f"X-Consistency-Token: {beyond[0]} has no position {token.positions[beyond[0]]} yet",
                               {"X-Consistency-Token": ["not a token this service gave"]})
        if not self.read_models.wait_for(token.positions, self.wait_seconds):
            raise ReadModelsBehind(f"the lists and boards do not show your last change yet; nothing was lost, "
                                   f"try again in {RETRY_AFTER_SECONDS} s")

    def _store_names(self) -> dict[str, str]:
        if self._names is None:
            self._names = self.read_models.store_names()
        return self._names
