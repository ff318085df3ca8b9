"""A small cache of aggregates this process has just saved, for its next command.

Entries are *taken* (removed) by a command and put back only after a successful save, so two
threads never share one copy, and a failed command leaves nothing half-changed behind.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
DEFAULT_SIZE = 1000


class WriteCache(Generic[T]):
    """Least-recently-saved entries are dropped first."""

    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = size
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> T | None:
        """Remove and return the entry for ``key``, if any."""
        with self._lock:
            return self._entries.pop(key, None)

    def put(self, key: Hashable, value: T) -> None:
        """Keep ``value`` as the latest saved state of ``key`` (unless a newer one is kept already)."""
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None and getattr(kept, "version", 0) >= getattr(value, "version", 0):
                return  # another thread saved a later version meanwhile
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
