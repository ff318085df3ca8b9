"""Re-read the stored files that events refer to and name each whose bytes changed or that is gone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from application.materials.files import FileMissing, FileRef, FileStore
from infrastructure.files.spool import copy_hashing

CHANGED = "changed"
MISSING = "missing"


@dataclass(frozen=True)
class FileProblem:
    """A referenced file whose stored bytes no longer hash to its SHA-256 (``changed``) or that is gone
    (``missing``)."""

    ref: FileRef
    problem: str

    def __str__(self) -> str:
        r = self.ref
        return (f"{self.problem.upper()} file {r.sha256} of case {r.case_number} ({r.case_id}), "
                f"material {r.key} version {r.version}")


def verify_files(store: FileStore, references: Iterable[FileRef]) -> list[FileProblem]:
    """Stream and hash every referenced file once (however many references name it); return the problems,
    one per reference to a bad file, in the order of ``references``."""
    refs = list(references)
    state: dict[str, str | None] = {}
    for ref in refs:
        if ref.sha256 not in state:
            state[ref.sha256] = _check(store, ref.sha256)
    return [FileProblem(ref, problem) for ref in refs if (problem := state[ref.sha256]) is not None]


def _check(store: FileStore, sha256: str) -> str | None:
    try:
        with store.open(sha256) as stream:
            found, _ = copy_hashing(stream, None)
    except FileMissing:
        return MISSING
    return None if found == sha256 else CHANGED
