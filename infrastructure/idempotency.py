"""Stored answers to writes sent with an ``Idempotency-Key``: a client's retry gets the first answer.

A key is claimed (a row without an answer) before the write runs, so two copies of one request
arriving at once cannot both write: the second sees the claim and is told to retry later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, and_, delete, select, update
from sqlalchemy.exc import IntegrityError

from infrastructure.readmodels import UtcDateTime

metadata = MetaData()
answers = Table(
    "api_idempotency", metadata,
    Column("user_id", String(128), primary_key=True), Column("key", String(128), primary_key=True),
    Column("request", String(64), nullable=False),  # a digest of method, path and body
    Column("status", Integer), Column("body", Text), Column("headers", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)
KEEP_FOR = timedelta(hours=24)
CLAIM_TIMEOUT = timedelta(seconds=60)  # an unanswered claim older than this was abandoned (a crash)


@dataclass(frozen=True)
class Stored:
    """What a key holds: the request digest and, once written, the answer."""

    request: str
    status: int | None
    body: str | None
    headers: str | None


class IdempotencyStore:
    """Claims keys and keeps answers, per user."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create_table(self) -> None:
        metadata.create_all(self.engine)

    def claim(self, user: str, key: str, request: str) -> Stored | None:
        """Claim ``key`` for this request; return what it holds if it was claimed before."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(delete(answers).where(answers.c.created_at < now - KEEP_FOR))
        try:
            with self.engine.begin() as connection:
                connection.execute(answers.insert().values(user_id=user, key=key, request=request, created_at=now))
            return None
        except IntegrityError:
            with self.engine.connect() as connection:
                row = connection.execute(select(answers).where(
                    and_(answers.c.user_id == user, answers.c.key == key))).first()
            if row is None:
                return self.claim(user, key, request)  # purged meanwhile: claim it afresh
            if row.status is None and row.request == request and row.created_at < now - CLAIM_TIMEOUT:
                with self.engine.begin() as connection:  # take over an abandoned claim, once
                    taken = connection.execute(update(answers).where(and_(
                        answers.c.user_id == user, answers.c.key == key, answers.c.status.is_(None),
                        answers.c.created_at == row.created_at)).values(created_at=now))
                if taken.rowcount == 1:
                    return None
            return Stored(row.request, row.status, row.body, row.headers)

    def answer(self, user: str, key: str, status: int, body: str, headers: str) -> None:
        """Keep the answer to a claimed key."""
        with self.engine.begin() as connection:
            connection.execute(update(answers).where(and_(answers.c.user_id == user, answers.c.key == key))
                               .values(status=status, body=body, headers=headers))

    def release(self, user: str, key: str) -> None:
        """Give a claim up (the write failed unexpectedly: a retry may run it)."""
        with self.engine.begin() as connection:
            connection.execute(delete(answers).where(and_(answers.c.user_id == user, answers.c.key == key)))
