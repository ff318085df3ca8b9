"""``onething audit verify``: re-read the stored events and check every chain, the log and the checkpoints.

For each aggregate of each event store, in version order: versions run 1, 2, 3 … without a hole; each
row's ``prev_hash`` is the previous row's hash (``GENESIS`` for version 1) and its ``hash`` recomputes
from its stored bytes; each row agrees with its audit-log entry, and every event the log has seen is in
the log. Then every log entry must still have its event (a deleted last event leaves a consistent
chain behind, but not a consistent log), and every signed checkpoint must verify with the public key
and equal the Merkle root of the log's first ``size`` positions — the one check an insider who rewrote
a whole chain and its log entries consistently cannot pass. Each broken aggregate is named once, with
its first bad version (its position in the case history).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select

from infrastructure.audit_log import AuditLog, LogEntry
from infrastructure.offline_verifier import GENESIS, event_hash, load_public_key, prefix_roots, verify_checkpoint
from infrastructure.recorders import FastApplicationRecorder

YIELD_PER = 10_000


@dataclass(frozen=True)
class Broken:
    """The first bad event of one aggregate."""

    application: str
    originator_id: str
    position: int
    problem: str


@dataclass
class VerifyReport:
    """What a verification found."""

    events_checked: int = 0
    aggregates_checked: int = 0
    cases_checked: int = 0
    broken: list[Broken] = field(default_factory=list)
    checkpoints_checked: int = 0
    checkpoint_problems: list[str] = field(default_factory=list)
    not_yet_logged: int = 0

    @property
    def ok(self) -> bool:
        """No broken aggregate and no bad checkpoint."""
        return not self.broken and not self.checkpoint_problems


class ChainVerifier:
    """Checks the stores, the log and the checkpoints."""

    def __init__(self, recorders: Mapping[str, FastApplicationRecorder], log: AuditLog,
                 public_key: Callable[[], bytes | None]):
        self.recorders, self.log, self.public_key = dict(recorders), log, public_key

    def verify(self, originator_id: str | UUID | None = None) -> VerifyReport:
        """Verify every aggregate (or one) and, for a full check, every checkpoint."""
        report = VerifyReport()
        one = None if originator_id is None else str(originator_id)
        entries = self.log.entries(originator_id=one)
        logged = {(e.application, e.originator_id, e.version): e for e in entries}
        last_logged: dict[str, int] = {}
        for entry in self.log.entries() if one is not None else entries:
            last_logged[entry.application] = max(last_logged.get(entry.application, 0), entry.notification_id)
        first_bad: dict[tuple[str, str], Broken] = {}
        seen: set[tuple[str, str, int]] = set()

        def broken(application: str, aggregate: str, version: int, problem: str) -> None:
            known = first_bad.get((application, aggregate))
            if known is None or version < known.position:
                first_bad[(application, aggregate)] = Broken(application, aggregate, version, problem)

        for application, recorder in self.recorders.items():
            self._check_store(application, recorder, one, logged, seen, last_logged.get(application, 0), report,
                              broken)
        for (application, aggregate, version), entry in logged.items():
            if (application, aggregate, version) not in seen:
                broken(application, aggregate, version, f"missing from the store (logged at position {entry.position})")
        report.broken = sorted(first_bad.values(), key=lambda b: (b.application, b.originator_id))
        if one is None:
            self._check_checkpoints(entries, report)
        return report

    def _check_store(self, application: str, recorder: FastApplicationRecorder, one: str | None,
                     logged: dict[tuple[str, str, int], LogEntry], seen: set[tuple[str, str, int]],
                     last_logged: int, report: VerifyReport,
                     broken: Callable[[str, str, int, str], None]) -> None:
        table = recorder.events_record_cls.__table__
        query = select(recorder._raw_originator_id, table.c.originator_version, table.c.topic, table.c.state,
                       table.c.hash, table.c.prev_hash, table.c.id)
        if one is not None:
            query = query.where(table.c.originator_id == UUID(one))
        query = query.order_by(table.c.originator_id, table.c.originator_version)
        current, expected, prev, bad = None, 1, GENESIS, False
        to_uuid = recorder._to_uuid
        with recorder.datastore.engine.connect() as connection:  # type: ignore[union-attr]
            rows = connection.execution_options(yield_per=YIELD_PER).execute(query)
            for raw, version, topic, state, digest, prev_hash, notification_id in rows:
                if raw != current:
                    current, expected, prev, bad = raw, 1, GENESIS, False
                    uuid = to_uuid(raw)
                    aggregate = str(uuid)
                    report.aggregates_checked += 1
                    report.cases_checked += application == "Cases"
                report.events_checked += 1
                entry = logged.get((application, aggregate, version))
                if entry is not None:
                    seen.add((application, aggregate, version))
                if bad:
                    continue
                problem = self._problem(uuid, version, expected, topic, bytes(state), digest, prev_hash, prev)
                if problem is None and entry is not None and entry.event_hash != bytes(digest):
                    problem = f"differs from the audit log (position {entry.position})"
                if problem is None and entry is None and notification_id <= last_logged:
                    problem = "not in the audit log, although later events are"
                if problem is not None:
                    broken(application, aggregate, min(version, expected), problem)
                    bad = True
                    continue
                if entry is None:
                    report.not_yet_logged += 1
                prev, expected = bytes(digest), version + 1

    @staticmethod
    def _problem(uuid: UUID, version: int, expected: int, topic: str, state: bytes, digest: Any,
                 prev_hash: Any, prev: bytes) -> str | None:
        if version != expected:
            return f"version {expected} is missing (the next stored is {version})"
        if digest is None or prev_hash is None:
            return "has no hash"
        if bytes(prev_hash) != prev:
            return "does not link to the previous event (prev_hash)"
        if event_hash(prev, uuid, version, topic, state) != bytes(digest):
            return "its stored content does not match its hash"
        return None

    def _check_checkpoints(self, entries: list[LogEntry], report: VerifyReport) -> None:
        checkpoints = self.log.checkpoints()
        report.checkpoints_checked = len(checkpoints)
        if not checkpoints:
            return
        pem = self.public_key()
        if pem is None:
            report.checkpoint_problems.append("no public key to check the checkpoints with")
            return
        key = load_public_key(pem)
        roots = prefix_roots((e.leaf_hash for e in entries), [c["size"] for c in checkpoints])
        for checkpoint in checkpoints:
            size = checkpoint["size"]
            if not verify_checkpoint(key, {**checkpoint, "log": "onething"}):
                report.checkpoint_problems.append(f"checkpoint of size {size}: the signature does not verify")
            elif size not in roots:
                report.checkpoint_problems.append(f"checkpoint of size {size}: the log has only {len(entries)} entries")
            elif roots[size].hex() != checkpoint["root"]:
                report.checkpoint_problems.append(
                    f"checkpoint of size {size}: the log's first {size} positions no longer give its root "
                    "(events and log entries were rewritten)")
