"""Optimistic concurrency: retry a command on fresh state a bounded number of times."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, OperationalError

from application.common.errors import ApplicationError, Busy, VersionConflict
from domain.shared.errors import DomainError

T = TypeVar("T")
MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 0.004  # doubled after each conflict, with full jitter: at most about 4 s in all
# A lock timeout has already waited the database's whole busy (SQLite 10 s) or lock (PostgreSQL 5 s) timeout:
# another wait is tried only if it would end within this many seconds of the first attempt, so a locked
# database answers "busy" (HTTP 503) within seconds instead of after MAX_ATTEMPTS such waits.
LOCK_WAIT_SECONDS = 10.0


LOCK_MESSAGES = ("lock timeout", "locknotavailable", "database is locked")


def is_lock_timeout(error: Exception) -> bool:
    """Whether a database error says a lock could not be had in time (PostgreSQL or SQLite)."""
    text = f"{type(getattr(error, '__cause__', None)).__name__} {error}".lower()
    return any(message in text for message in LOCK_MESSAGES)


def with_retries(attempt: Callable[[], T], on_conflict: Callable[[], None], what: str,
                 replay: Callable[[bool], T | None] | None = None) -> T:
    """Run ``attempt`` until it saves without a version conflict; give up after MAX_ATTEMPTS.

    ``attempt`` must load fresh state each time; ``on_conflict`` may raise to stop retrying.
    Writers that collided wait a random, growing moment so they do not collide again in step.
    ``replay(look_again)`` gives the result a retried request (``application.common.idempotency``) committed
    already: asked before the first attempt, and after each collision or refusal — the write that won may
    have been this request's own first attempt, in another process or before a crash.
    """
    if replay is not None and (done := replay(False)) is not None:
        return done
    busy, started = False, time.monotonic()
    for number in range(MAX_ATTEMPTS):
        began = time.monotonic()
        try:
            return attempt()
        except IntegrityError:
            if replay is not None and (done := replay(True)) is not None:
                return done
            on_conflict()
        except (DomainError, ApplicationError):
            # Refused ("decided already", "no such case yet"…) — perhaps because this request's own first
            # attempt committed meanwhile, in another process: then its result is the answer.
            if replay is not None and (done := replay(True)) is not None:
                return done
            raise
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            busy = True  # the write waited too long for a lock and was rolled back: try again
            now = time.monotonic()
            if now - started + (now - began) > LOCK_WAIT_SECONDS:
                break  # one more wait like this one would keep the caller too long
        time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**number))
    if busy:
        raise Busy(f"{what}: the database stayed busy; nothing was saved, try again")
    raise VersionConflict(f"{what}: other changes kept winning; nothing was saved, try again")
