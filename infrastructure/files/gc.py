"""``onething files gc``: remove stored files that no event refers to.

A file is stored before the event that names it is recorded, so a file stored a moment ago may belong to an
event about to be written: only files older than ``older_than`` (a day) are removed.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from application.materials.files import FileEntry, FileStore

GRACE = timedelta(days=1)


@dataclass(frozen=True)
class GcReport:
    """What a collection kept and removed (``removed``: the SHA-256 of each removed file)."""

    kept: int
    removed: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    recent: int = 0  # of the kept: unreferenced, but too recent to remove


def collect_garbage(store: FileStore, referenced: Set[str], older_than: timedelta = GRACE,
                    now: datetime | None = None, dry_run: bool = False) -> GcReport:
    """Remove every stored file whose SHA-256 is not in ``referenced`` and that is older than ``older_than``
    at ``now``; with ``dry_run`` only report what would be removed."""
    cutoff = (now or datetime.now(UTC)) - older_than
    kept = recent = freed = 0
    removed: list[str] = []
    for entry in list(store.entries()):  # listed first: deleting while a folder walk is under way is fragile
        if entry.sha256 in referenced:
            kept += 1
        elif not _older(entry, cutoff):
            kept += 1
            recent += 1
        else:
            if not dry_run:
                store.delete(entry.sha256)
            removed.append(entry.sha256)
            freed += entry.size
    return GcReport(kept=kept, removed=removed, bytes_freed=freed, recent=recent)


def _older(entry: FileEntry, cutoff: datetime) -> bool:
    modified = entry.modified_at if entry.modified_at.tzinfo else entry.modified_at.replace(tzinfo=UTC)
    return modified < cutoff
