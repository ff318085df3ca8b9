"""Optimistic concurrency: retry a command on fresh state a bounded number of times."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from application.errors import VersionConflict

T = TypeVar("T")
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.002  # doubled after each conflict, with full jitter


def with_retries(attempt: Callable[[], T], on_conflict: Callable[[], None], what: str) -> T:
    """Run ``attempt`` until it saves without a version conflict; give up after MAX_ATTEMPTS.

    ``attempt`` must load fresh state each time; ``on_conflict`` may raise to stop retrying.
    Writers that collided wait a random, growing moment so they do not collide again in step.
    """
    for number in range(MAX_ATTEMPTS):
        try:
            return attempt()
        except IntegrityError:
            on_conflict()
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**number))
    raise VersionConflict(f"{what}: other changes kept winning; nothing was saved, try again")
