"""Optimistic concurrency: retry a command on fresh state a bounded number of times."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from application.errors import VersionConflict

T = TypeVar("T")
MAX_ATTEMPTS = 5


def with_retries(attempt: Callable[[], T], on_conflict: Callable[[], None], what: str) -> T:
    """Run ``attempt`` until it saves without a version conflict; give up after MAX_ATTEMPTS.

    ``attempt`` must load fresh state each time; ``on_conflict`` drops any cached state.
    """
    for _ in range(MAX_ATTEMPTS):
        try:
            return attempt()
        except IntegrityError:
            on_conflict()
    raise VersionConflict(f"{what}: other changes kept winning; nothing was saved, try again")
