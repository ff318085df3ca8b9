"""Topics stored by earlier releases keep resolving after their classes moved.

Stored events and snapshots name their classes by topic (``module:qualified name``). Release 0.1 kept
the domain in flat modules (``domain.case_events:ItemApproved``); the house moved them into a package
per aggregate and nested every event in its aggregate (``Case.ItemApproved``; issue 12). History is
never rewritten: each old topic is registered with eventsourcing (``register_topic``) for the class that
now answers to it, before any store is opened.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from functools import cache

from eventsourcing.utils import get_topic, register_topic

# Old module -> (its classes' module now, the class they are nested in now, or "").
MOVED: dict[str, tuple[str, str]] = {
    "domain.values": ("domain.shared.values", ""),
    "domain.errors": ("domain.shared.errors", ""),
    "domain.recorded": ("domain.shared.recorded", ""),
    "domain.case": ("domain.case.aggregate", ""),
    "domain.case_events": ("domain.case.aggregate", "Case"),
    "domain.case_state": ("domain.case.state", ""),
    "domain.petition": ("domain.petition.aggregate", ""),
    "domain.petition_events": ("domain.petition.aggregate", "Petition"),
    "domain.petition_values": ("domain.petition.values", ""),
    "domain.catalogue": ("domain.catalogue.aggregate", ""),
    "domain.definitions": ("domain.catalogue.definitions", ""),
    "domain.calendar_overrides": ("domain.calendar.overrides", ""),
    "domain.users": ("domain.users.aggregate", ""),
    "domain.tokens": ("domain.users.tokens", ""),
}


def old_topics() -> Iterator[tuple[str, type]]:
    """Every topic an earlier release could have stored for a class that has moved since, with that class."""
    for old, (new, owner) in MOVED.items():
        module = importlib.import_module(new)
        for cls in _classes(module.__name__, vars(module).values()):
            qualname = cls.__qualname__
            if owner:
                if not qualname.startswith(owner + "."):
                    continue
                qualname = qualname[len(owner) + 1:]
            yield f"{old}:{qualname}", cls


@cache
def topics_of(cls: type) -> tuple[str, ...]:
    """Every topic ``cls`` may be stored under: its own, then those of earlier releases (for queries that
    select stored events by topic, which a registration alone does not widen)."""
    return (get_topic(cls), *(topic for topic, moved in old_topics() if moved is cls))


def _classes(module: str, members: Iterable[object]) -> Iterator[type]:
    """The classes among ``members`` defined in ``module``, and the classes nested in them."""
    for member in members:
        if isinstance(member, type) and member.__module__ == module:
            yield member
            nested = [m for m in vars(member).values()
                      if isinstance(m, type) and m.__qualname__.startswith(member.__qualname__ + ".")]
            yield from _classes(module, nested)


def register_old_topics() -> None:
    """Make every old topic resolve to the class that answers to it now (idempotent)."""
    for topic, cls in old_topics():
        register_topic(topic, cls)
