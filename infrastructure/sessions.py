"""Sign-in state kept in the database, so that every process sees the same: UI sessions and failure counts.

``ui_sessions`` holds one row per signed-in browser, keyed by the SHA-256 of the random session id its
cookie carries (the id itself is never stored): deleting the row ends the session in every process at once.
``sign_in_failures`` counts failed sign-ins per hashed account or address (``application.sign_in``).
Both are created by ``onething db init``; times are epoch seconds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, case, delete, select, update
from sqlalchemy.exc import IntegrityError

metadata = MetaData()
ui_sessions = Table(
    "ui_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("username", Text, nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False, index=True),
)
sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", Float, nullable=False),
)
TABLES = ("ui_sessions", "sign_in_failures")


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class SessionRow:
    """One signed-in browser: whose, since when, last seen when."""

    username: str
    created_at: float
    last_seen: float


class SessionStore:
    """UI sessions, one row each (the cookie carries only the random id)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create_table(self) -> None:
        """Create both tables of this module if they are missing (``onething db init``)."""
        metadata.create_all(self.engine, checkfirst=True)

    def start(self, username: str, now: float, forget_before: float | None = None) -> str:
        """Start a session for ``username``; return its random id (for the cookie: only its hash is kept)."""
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            if forget_before is not None:  # rows nobody can use any more: expired or idle
                connection.execute(delete(ui_sessions).where(ui_sessions.c.last_seen < forget_before))
            connection.execute(ui_sessions.insert().values(id_hash=_hash(session_id), username=username,
                                                           created_at=now, last_seen=now))
        return session_id

    def find(self, session_id: str) -> SessionRow | None:
        """The session with this id, if it stands."""
        with self.engine.connect() as connection:
            row = connection.execute(select(ui_sessions.c.username, ui_sessions.c.created_at, ui_sessions.c.last_seen)
                                     .where(ui_sessions.c.id_hash == _hash(session_id))).first()
        return None if row is None else SessionRow(row.username, row.created_at, row.last_seen)

    def touch(self, session_id: str, now: float) -> None:
        """Record that the session was used at ``now``."""
        with self.engine.begin() as connection:
            connection.execute(update(ui_sessions).where(ui_sessions.c.id_hash == _hash(session_id))
                               .values(last_seen=now))

    def end(self, session_id: str) -> None:
        """End one session."""
        with self.engine.begin() as connection:
            connection.execute(delete(ui_sessions).where(ui_sessions.c.id_hash == _hash(session_id)))

    def end_all(self, username: str) -> int:
        """End every session of ``username``; return how many there were."""
        with self.engine.begin() as connection:
            return connection.execute(delete(ui_sessions).where(ui_sessions.c.username == username)).rowcount

    def rows(self) -> list[dict[str, Any]]:
        """Every stored row (for tests and operators)."""
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(select(ui_sessions))]


class FailureCounter:
    """Failed sign-ins per key, in the database (``application.sign_in.FailureCounts``)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def counts(self, keys: Sequence[str]) -> dict[str, tuple[int, float]]:
        """Each known key's failures and the start of its window."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(sign_in_failures).where(sign_in_failures.c.key.in_(list(keys))))
            return {row.key: (row.failures, row.window_start) for row in rows}

    def add_failure(self, keys: Sequence[str], now: float, window_seconds: float) -> None:
        """Count one failure per key, atomically (a window that has passed starts again at ``now``)."""
        table, stale = sign_in_failures, sign_in_failures.c.window_start <= now - window_seconds
        with self.engine.begin() as connection:  # counts nobody reads any more (a spray of addresses)
            connection.execute(delete(table).where(table.c.window_start <= now - 2 * window_seconds))
        for key in keys:
            for _ in range(3):  # a concurrent first failure may insert the row between our update and insert
                with self.engine.begin() as connection:
                    counted = connection.execute(update(table).where(table.c.key == key).values(
                        failures=case((stale, 1), else_=table.c.failures + 1),
                        window_start=case((stale, now), else_=table.c.window_start))).rowcount
                    if counted:
                        break
                try:
                    with self.engine.begin() as connection:
                        connection.execute(table.insert().values(key=key, failures=1, window_start=now))
                    break
                except IntegrityError:
                    continue

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""
        with self.engine.begin() as connection:
            connection.execute(delete(sign_in_failures).where(sign_in_failures.c.key == key))
