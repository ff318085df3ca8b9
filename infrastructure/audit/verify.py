"""``onething audit verify``: re-read the stored events and check every chain, the log and the checkpoints.

For each aggregate of each event store, in version order: versions run 1, 2, 3 … without a hole; each
row's ``prev_hash`` is the previous row's hash (``GENESIS`` for version 1) and its ``hash`` recomputes
from its stored bytes; each row agrees with its audit-log entry (aggregate, version, hash), and every event
the log has seen is in the log. Then every log entry must still have its event (a deleted last event leaves
a consistent chain behind, but not a consistent log), the log's positions must run 0, 1, 2 … without a
hole, and every signed checkpoint must verify with the public key
and equal the Merkle root of the log's first ``size`` positions — the one check an insider who rewrote
a whole chain and its log entries consistently cannot pass. Each broken aggregate is named once, with
its first bad version (its position in the case history).

A full verify reads each store once (the chains) and the log once: the Merkle pass joins each entry with the
row of its notification id and compares them on the way (``scans.compared_leaves``), then counts show whether
a row the log has passed is missing from it. Only a store found to differ (or one case's check) runs the
SQL comparison that names each difference, so what verify reports is the same either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, LargeBinary, Text, and_, cast, func, or_, select, type_coerce

from infrastructure.audit.log import AuditLog, audit_log, next_position
from infrastructure.audit.offline_verifier import load_public_key, prefix_roots, verify_checkpoint
from infrastructure.audit.scans import chain_rows, compared_leaves, driver_batches
from infrastructure.eventstore.chain import EVENT_DOMAIN, GENESIS, TopicFraming, event_hash
from infrastructure.eventstore.recorders import FastApplicationRecorder, engine_of


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
    """Checks the stores, the log and the checkpoints (one pass over each; see benchmarks/audit.py)."""

    def __init__(self, recorders: Mapping[str, FastApplicationRecorder], log: AuditLog,
                 public_key: Callable[[], bytes | None]):
        self.recorders, self.log, self.public_key = dict(recorders), log, public_key

    def verify(self, originator_id: str | UUID | None = None) -> VerifyReport:
        """Verify every aggregate (or one) and, for a full check, every checkpoint."""
        report = VerifyReport()
        one = None if originator_id is None else str(originator_id)
        last_logged = self._last_logged()
        first_bad: dict[tuple[str, str], Broken] = {}

        def broken(application: str, aggregate: str, version: int, problem: str) -> None:
            known = first_bad.get((application, aggregate))
            if known is None or version < known.position:
                first_bad[(application, aggregate)] = Broken(application, aggregate, version, problem)

        for application, recorder in self.recorders.items():
            self._check_chains(application, recorder, one, report, broken)
            if one is not None:
                with self.log.engine.connect() as connection:
                    self._check_against_log(connection, application, recorder, one, last_logged.get(application, 0),
                                            report, broken)
        if one is None:
            checkpoints = self.log.checkpoints()  # before the log: a checkpoint signed meanwhile is not "too long"
            with self.log.engine.connect() as connection:  # the log streamed, never held in memory
                self._check_positions(connection, report)
                mismatched: set[str] = set()
                logged = {name: recorder for name, recorder in self.recorders.items() if name in last_logged}
                leaves = compared_leaves(connection, logged, mismatched)  # no join with a store the log never named
                self._check_checkpoints(checkpoints, leaves, connection, report)
                for _ in leaves:  # the entries past the last checkpoint are compared with their rows too
                    pass
                for application, recorder in self.recorders.items():
                    self._settle_against_log(connection, application, recorder, application in mismatched,
                                             last_logged.get(application, 0), report, broken)
        report.broken = sorted(first_bad.values(), key=lambda b: (b.application, b.originator_id))
        return report

    @staticmethod
    def _check_positions(connection: Any, report: VerifyReport) -> None:
        """The log's positions are 0, 1, 2, … without a hole (the follower never leaves one)."""
        count = connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
        if count == next_position(connection):
            return
        after = audit_log.alias("after")
        first = connection.execute(select(func.min(audit_log.c.position + 1)).select_from(
            audit_log.outerjoin(after, after.c.position == audit_log.c.position + 1)).where(
            after.c.position.is_(None))).scalar_one()
        has_zero = connection.execute(select(audit_log.c.position).where(audit_log.c.position == 0)).first()
        report.checkpoint_problems.append(
            f"audit log: no entry at position {0 if has_zero is None else first} "
            f"({count} entries, positions up to {next_position(connection) - 1}): log rows were deleted or moved")

    def _last_logged(self) -> dict[str, int]:
        query = select(audit_log.c.application, func.max(audit_log.c.notification_id)).group_by(
            audit_log.c.application)
        with self.log.engine.connect() as connection:
            return {application: last for application, last in connection.execute(query)}

    def _check_chains(self, application: str, recorder: FastApplicationRecorder, one: str | None,
                      report: VerifyReport, broken: Callable[[str, str, int, str], None]) -> None:
        """Every aggregate's rows in version order: no hole, each linked to the one before, each hash right."""
        current, expected, prev, bad, uuid_bytes, uuid = None, 1, GENESIS, False, b"", UUID(int=0)
        to_uuid, sha256, topics = recorder._to_uuid, hashlib.sha256, TopicFraming()
        events = aggregates = 0
        with engine_of(recorder.datastore).connect() as connection:
            for rows in driver_batches(connection, *chain_rows(recorder, None if one is None else UUID(one))):
                for raw, version, topic, state, digest, prev_hash in rows:
                    if raw != current:
                        current, expected, prev, bad = raw, 1, GENESIS, False
                        uuid = to_uuid(raw)
                        uuid_bytes = uuid.bytes
                        aggregates += 1
                    events += 1
                    if bad:
                        continue
                    if version != expected or digest is None or prev_hash is None or prev_hash != prev:
                        problem = self._problem(uuid, version, expected, topic, bytes(state), digest, prev_hash,
                                                prev)
                    elif sha256(EVENT_DOMAIN + prev + uuid_bytes + version.to_bytes(8, "big") + topics[topic]
                                + len(state).to_bytes(8, "big") + state).digest() != digest:  # format 1, inlined
                        problem = "its stored content does not match its hash"
                    else:
                        prev, expected = digest, version + 1
                        continue
                    broken(application, str(uuid), min(version, expected), problem or "broken")
                    bad = True
        report.events_checked += events
        report.aggregates_checked += aggregates
        if application == "Cases":
            report.cases_checked += aggregates

    def _settle_against_log(self, connection: Connection, application: str, recorder: FastApplicationRecorder,
                            mismatched: bool, last_logged: int, report: VerifyReport,
                            broken: Callable[[str, str, int, str], None]) -> None:
        """Finish comparing one store with the log after ``compared_leaves``. If every entry had its row, the same
        (``mismatched`` false), and the rows up to the last logged one are as many as the entries naming them, no
        two entries naming the same row, each of those rows is logged: nothing to name. Otherwise
        ``_check_against_log`` names each difference."""
        events = recorder.events_record_cls.__table__
        if not mismatched:
            count = select(func.count()).select_from(events)
            total, pending = connection.execute(select(  # one statement, one snapshot: no row counted twice
                count.scalar_subquery(), count.where(events.c.id > last_logged).scalar_subquery())).one()
            entries, distinct = connection.execute(  # a duplicate entry must not stand in for an unlogged row
                select(func.count(), func.count(audit_log.c.notification_id.distinct())).select_from(audit_log).where(
                    audit_log.c.application == application, audit_log.c.notification_id <= last_logged)).one()
            if total - pending == entries == distinct:
                report.not_yet_logged += pending
                return
        self._check_against_log(connection, application, recorder, None, last_logged, report, broken)

    def _check_against_log(self, connection: Connection, application: str, recorder: FastApplicationRecorder,
                           one: str | None, last_logged: int, report: VerifyReport,
                           broken: Callable[[str, str, int, str], None]) -> None:
        """The database compares each log entry with the row of its notification id: the row must still be
        there with the logged version and hash; and every row the log has passed must be in it. Names each
        difference (slower than ``compared_leaves``; for one aggregate, or a store found to differ)."""
        events = recorder.events_record_cls.__table__
        log = audit_log
        joined = log.outerjoin(events, events.c.id == log.c.notification_id)
        differs = select(log.c.position, log.c.originator_id, log.c.version, events.c.id, recorder._raw_originator_id,
                         events.c.originator_version).select_from(joined).where(log.c.application == application, or_(
                             events.c.id.is_(None), events.c.hash.is_(None), events.c.hash != log.c.event_hash,
                             events.c.originator_version != log.c.version,
                             _stored_id(recorder, events.c.originator_id) != _logged_id(recorder, log.c.originator_id)))
        unlogged = select(recorder._raw_originator_id, events.c.originator_version, events.c.id).select_from(
            events.outerjoin(log, and_(log.c.application == application, log.c.notification_id == events.c.id))
        ).where(log.c.position.is_(None))
        pending = select(func.count()).select_from(events).where(events.c.id > last_logged)
        if one is not None:
            differs = differs.where(or_(log.c.originator_id == one, events.c.originator_id == UUID(one)))
            unlogged = unlogged.where(events.c.originator_id == UUID(one))
            pending = pending.where(events.c.originator_id == UUID(one))
        for position, aggregate, version, row_id, raw, stored_version in connection.execute(differs):
            if row_id is None:
                broken(application, aggregate, version, f"missing from the store (logged at position {position})")
                continue
            stored = str(recorder._to_uuid(raw))
            if stored == aggregate:
                broken(application, aggregate, min(version, stored_version),
                       f"differs from the audit log (position {position})")
                continue
            # The row of the logged notification id is another aggregate's: the logged event is gone (or
            # the entry was re-attributed), and the row that is there was never logged as itself.
            for name, at, problem in (
                    (aggregate, version, f"missing from the store (logged at position {position}, whose row "
                                         f"is now {stored} version {stored_version})"),
                    (stored, stored_version, f"not in the audit log (log position {position} names "
                                             f"{aggregate} version {version} for its row)")):
                if one is None or name == one:
                    broken(application, name, at, problem)
        for raw, version, row_id in connection.execute(unlogged):
            if row_id <= last_logged:
                broken(application, str(recorder._to_uuid(raw)), version,
                       "not in the audit log, although later events are")
        report.not_yet_logged += connection.execute(pending).scalar_one()

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

    def _check_checkpoints(self, checkpoints: list[dict[str, Any]], leaves: Iterator[bytes], connection: Connection,
                           report: VerifyReport) -> None:
        report.checkpoints_checked = len(checkpoints)
        if not checkpoints:
            return
        pem = self.public_key()
        if pem is None:
            report.checkpoint_problems.append("no public key to check the checkpoints with")
            return
        key = load_public_key(pem)
        roots = prefix_roots(leaves, [c["size"] for c in checkpoints])
        entries = connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
        for checkpoint in checkpoints:
            size = checkpoint["size"]
            if not verify_checkpoint(key, {**checkpoint, "log": "onething"}):
                report.checkpoint_problems.append(f"checkpoint of size {size}: the signature does not verify")
            elif size not in roots:
                report.checkpoint_problems.append(f"checkpoint of size {size}: the log has only {entries} entries")
            elif roots[size].hex() != checkpoint["root"]:
                report.checkpoint_problems.append(
                    f"checkpoint of size {size}: the log's first {size} positions no longer give its root "
                    "(events and log entries were rewritten)")


def _logged_id(recorder: FastApplicationRecorder, column: Any) -> Any:
    """The log's aggregate id (``str(UUID)``) in the form ``_stored_id`` gives, in SQL."""
    return column if recorder._is_postgres else func.upper(func.replace(column, "-", ""))


def _stored_id(recorder: FastApplicationRecorder, column: Any) -> Any:
    """A stored aggregate id, comparable in SQL with ``_logged_id``: PostgreSQL's uuid as text (lower case, with
    dashes, as ``str(UUID)``); SQLite's 16 bytes as upper-case hex."""
    if recorder._is_postgres:
        return cast(column, Text)
    return func.hex(type_coerce(column, LargeBinary))

