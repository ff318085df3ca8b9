"""Sign-in state kept in the database, so that every process sees the same: UI sessions and failure counts.

``ui_sessions`` holds one row per signed-in browser, keyed by the SHA-256 of the random session id its
cookie carries (the id itself is never stored): deleting the row ends the session in every process at once.
``sign_in_failures`` counts sign-in attempts per hashed key — an account, an address, an account from one
address — and notes the addresses each account signed in from (``application.users.sign_in``).
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
    """Attempts per key, in the database (``application.users.sign_in.FailureCounts``).

    A row with ``failures`` above 0 counts attempts in the window that began at ``window_start``; a row with
    ``failures`` 0 notes a success (``remember``) at ``window_start``. Keys of the two kinds never meet.
    """

    def __init__(self, engine: Engine):
        self.engine = engine

    def counts(self, keys: Sequence[str]) -> dict[str, tuple[int, float]]:
        """Each known key's failures and the start of its window."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(sign_in_failures).where(sign_in_failures.c.key.in_(list(keys)),
                                                                     sign_in_failures.c.failures > 0))
            return {row.key: (row.failures, row.window_start) for row in rows}

    def add_failure(self, keys: Sequence[str], now: float, window_seconds: float) -> None:
        """Count one failure per key, atomically (a window that has passed starts again at ``now``)."""
        self.reserve(keys, now, window_seconds)

    def reserve(self, keys: Sequence[str], now: float, window_seconds: float) -> dict[str, tuple[int, float]]:
        """Count one attempt per key, atomically; each key's count with it and its window's start."""
        table = sign_in_failures
        with self.engine.begin() as connection:  # counts nobody reads any more (a spray of addresses)
            connection.execute(delete(table).where(table.c.failures > 0,
                                                   table.c.window_start <= now - 2 * window_seconds))
        return {key: self._count_one(key, now, window_seconds) for key in keys}

    def _count_one(self, key: str, now: float, window_seconds: float) -> tuple[int, float]:
        table, stale = sign_in_failures, sign_in_failures.c.window_start <= now - window_seconds
        for _ in range(3):  # a concurrent first attempt may insert the row between our update and insert
            with self.engine.begin() as connection:  # the update locks the row: the read sees our count
                counted = connection.execute(update(table).where(table.c.key == key).values(
                    failures=case((stale, 1), else_=table.c.failures + 1),
                    window_start=case((stale, now), else_=table.c.window_start))).rowcount
                if counted:
                    row = connection.execute(select(table.c.failures, table.c.window_start)
                                             .where(table.c.key == key)).one()
                    return row.failures, row.window_start
            try:
                with self.engine.begin() as connection:
                    connection.execute(table.insert().values(key=key, failures=1, window_start=now))
                return 1, now
            except IntegrityError:
                continue
        raise RuntimeError(f"could not count a sign-in attempt under {key[:8]}…")

    def release(self, reserved: dict[str, tuple[int, float]]) -> None:
        """Take back one attempt per key (unless its window started again since); a count of 0 goes."""
        table = sign_in_failures
        with self.engine.begin() as connection:
            for key, (_, started) in reserved.items():
                mine = (table.c.key == key) & (table.c.window_start == started) & (table.c.failures > 0)
                connection.execute(update(table).where(mine).values(failures=table.c.failures - 1))
                connection.execute(delete(table).where(table.c.key == key, table.c.failures == 0))

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""
        with self.engine.begin() as connection:
            connection.execute(delete(sign_in_failures).where(sign_in_failures.c.key == key))

    def remember(self, key: str, now: float, forget_before: float) -> None:
        """Note a success under ``key`` at ``now``; forget successes noted before ``forget_before``."""
        table = sign_in_failures
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(table).where(table.c.failures == 0,
                                                       table.c.window_start < forget_before))
                connection.execute(delete(table).where(table.c.key == key))
                connection.execute(table.insert().values(key=key, failures=0, window_start=now))
        except IntegrityError:
            pass  # a concurrent success noted it

    def known(self, key: str, since: float) -> bool:
        """Whether a success was noted under ``key`` at ``since`` or later."""
        table = sign_in_failures
        with self.engine.connect() as connection:
            return connection.execute(select(table.c.key).where(
                table.c.key == key, table.c.failures == 0, table.c.window_start >= since)).first() is not None
