"""The core of the case application: loading, saving with retries, reading with access checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.audit.event_text import describe_history
from application.cases.diff import diff_cases, summarize_diff
from application.catalogue.application import CatalogueApplication
from application.common.access import may_view
from application.common.application import OneThingApplication
from application.common.clock import Clock
from application.common.errors import ApplicationError, CaseNotFound, InvalidInput, NotAllowed, VersionConflict
from application.common.idempotency import Earlier, earlier_result
from application.common.retry import with_retries
from application.common.write_cache import WriteCache
from domain.case.aggregate import Case
from domain.shared.errors import DomainError
from domain.shared.values import Actor
from domain.shared.working_days import IsWorkday, WorkClock, add_working_days

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    """What a command returns: the case, its new version, and where its last event landed."""

    case_id: UUID
    number: str
    version: int
    notification_id: int | None
    result: Any = None


class CommandsBase:
    """What the command mixins use of ``CaseCore`` (declared for readers and type checkers)."""

    catalogue: CatalogueApplication
    clock: Clock
    is_workday: IsWorkday
    knows: Callable[[date], bool]
    find_actor: Callable[[str], Actor | None]
    work_clock: Callable[[], WorkClock]  # CaseCore.work_clock
    change: Callable[..., Saved]  # CaseCore.change
    replayed: Callable[[bool], Saved | None]  # CaseCore.replayed
    saved: Callable[..., Saved]  # CaseCore.saved


class CaseCore(OneThingApplication):
    """Loads and saves cases; the commands are mixed in by ``CaseApplication``."""

    name = "Cases"
    snapshotting_intervals = {Case: 50}

    def __init__(
        self, env: dict[str, str] | None = None, *, catalogue: CatalogueApplication,
        clock: Clock, is_workday: IsWorkday, find_actor: Callable[[str], Actor | None] = lambda _: None,
        knows: Callable[[date], bool] = lambda _: True,
    ):
        super().__init__(env)
        self.catalogue, self.clock, self.is_workday, self.knows = catalogue, clock, is_workday, knows
        self.find_actor = find_actor
        self.write_cache: WriteCache[Case] = WriteCache()

    def work_clock(self) -> WorkClock:
        """Today and the working-day calendar, for commands that start clocks."""
        return WorkClock(self.clock.today(), self.is_workday, self.knows)

    def case_due(self, case: Case, as_of: date | None = None) -> date | None:
        """The case's due date as of a day (today unless told; a closed case's closing day), following
        prerequisites (``domain.case.due``)."""
        if case.closed_at is not None:
            as_of = datetime.fromisoformat(str(case.closed_at)).astimezone(self.clock.now().tzinfo).date()
        return case.due_as_of(as_of or self.clock.today(),
                              lambda start, days: add_working_days(start, days, self.is_workday))

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshots speed up loading; one that fails after the events committed must not turn a
        saved command into an error (and so into a retry that would run it twice)."""
        try:
            super()._take_snapshots(processing_event)
        except Exception:  # noqa: BLE001 - logged; the next interval takes another snapshot
            log.exception("snapshot failed after a successful save; the case loads from its events")

    def get_case(self, actor: Actor, case_id: UUID | str, version: int | None = None) -> Case:
        """Return the case (as it stood at ``version``, if given) if the actor may see it."""
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise InvalidInput("version: a whole number from 1", {"version": ["a whole number from 1"]})
        current = self.load(case_id)  # who may see it is decided on what the case is now
        if not may_view(actor, current):
            raise NotAllowed(f"{actor.user_id} may not see case {current.number}")
        if version is not None and version > current.version:
            raise CaseNotFound(f"case {current.number} has no version {version} yet (it is at {current.version})")
        return current if version is None or version == current.version else self.load(case_id, version)

    def case_as_of(self, actor: Actor, case_id: UUID | str, moment: datetime) -> Case:
        """Return the case as it stood at ``moment`` (after the last event recorded by then)."""
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise InvalidInput("as_of: a date and time with its time zone", {"as_of": ["ISO 8601 with offset"]})
        events = self._visible_events(actor, case_id)
        then = [e for e in events if e.timestamp <= moment]
        if not then:
            raise CaseNotFound(f"case {case_id} did not exist yet at {moment.isoformat()}")
        return _replay(then)

    def diff(self, actor: Actor, case_id: UUID | str, from_version: int, to_version: int) -> dict[str, Any]:
        """What changed in the case from one of its versions to a later one (read as ``get_case`` reads)."""
        for name, value in (("from_version", from_version), ("to_version", to_version)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(f"{name}: a whole number from 1", {name: ["a whole number from 1"]})
        if from_version > to_version:
            raise InvalidInput("from_version comes after to_version", {"from_version": ["at most to_version"]})
        current = self.get_case(actor, case_id)  # who may see it first: a refused caller learns no version
        if to_version > current.version:
            raise InvalidInput(f"case {current.number} is at version {current.version}",
                               {"to_version": [f"at most {current.version}"]})
        before = self.get_case(actor, case_id, from_version)
        after = current if to_version == current.version else self.get_case(actor, case_id, to_version)
        diff = diff_cases(before, after)
        return {**diff, "summary": summarize_diff(diff)}

    def context_then(self, case: Case, moment: datetime) -> dict[str, Any]:
        """What applied to a past state of the case: its bundle definition version (time limits and
        prerequisites of each item) and the calendar overrides recorded by ``moment``."""
        definition, version = self.catalogue.definition(case.bundle, case.bundle_version)
        return {
            "at": moment.isoformat(), "version": case.version,
            "bundle": {"code": definition.code, "version": version, "items": [
                {"code": i.code, "department": i.department, "time_limit_days": i.time_limit_days,
                 "prerequisites": list(i.prerequisites)} for i in definition.items]},
            "calendar": self.catalogue.calendar_as_of(moment),
        }

    def history(self, actor: Actor, case_id: UUID | str) -> list[dict[str, Any]]:
        """Every event of the case in order: position, type, time, actor, reason, the rest as data, the event
        in words (``text``: zh and en) and its link in the hash chain (``hash``, ``prev_hash``: hex)."""
        events = self._visible_events(actor, case_id)
        entries = [_history_entry(event) for event in events]
        links = {version: (digest, prev) for version, digest, prev in self.chain(events[0].originator_id)}
        for entry, text in zip(entries, describe_history(entries), strict=True):
            digest, prev = links.get(entry["position"], (None, None))
            entry.update(text=text, hash=digest.hex() if digest else None, prev_hash=prev.hex() if prev else None)
        return entries

    def chain(self, case_id: UUID | str) -> list[tuple[int, bytes | None, bytes | None]]:
        """(version, hash, prev_hash) of each stored event of the case, as the store holds them."""
        return self.recorder.select_chain(_as_uuid(case_id))  # type: ignore[attr-defined]

    def chain_head(self, case_id: UUID | str, version: int | None = None) -> str | None:
        """The hash (hex) of the case's last stored event, or of its event at ``version``: the head of its chain."""
        digest = self.recorder.select_head(_as_uuid(case_id), version)  # type: ignore[attr-defined]
        return digest.hex() if digest else None

    def _visible_events(self, actor: Actor, case_id: UUID | str) -> list[Any]:
        """The case's events, read once, if the actor may see the case as it is now."""
        events = list(self.events.get(_as_uuid(case_id)))
        if not events:
            raise CaseNotFound(f"no case {case_id}")
        current = _replay(events)
        if not may_view(actor, current):
            raise NotAllowed(f"{actor.user_id} may not see case {current.number}")
        return events

    def load(self, case_id: UUID | str, version: int | None = None) -> Case:
        """Return the case with this id, or raise ``CaseNotFound``."""
        try:
            return self.repository.get(_as_uuid(case_id), version=version)
        except AggregateNotFoundError:
            at = f" at version {version}" if version else ""
            raise CaseNotFound(f"no case {case_id}{at}") from None

    def change(
        self, case_id: UUID | str, doing: str, command: Callable[[Case], Any],
        expected_version: int | None = None, authorize: Callable[[Case], None] = lambda _: None,
    ) -> Saved:
        """Run ``command`` on the case and save; retry on a conflict unless a version was expected.

        The command starts from the case this process saved last, if it has it (no read), and
        the store's unique (id, version) index decides: if another process wrote meanwhile,
        the save conflicts and the retry starts from a fresh load. A refusal — a rule
        (``DomainError``), a right (``NotAllowed``: the item may have moved to the actor's
        department) or a version mismatch — seen on a cached copy is checked again on a fresh
        load, so a stale copy never refuses what the current state allows.
        """

        def attempt() -> Saved:
            uid = _as_uuid(case_id)
            cached = self.write_cache.take(uid)
            try:
                return self._run(cached or self.load(uid), expected_version, command, authorize)
            except (DomainError, ApplicationError):  # a rule, a right or a version seen on the copy
                if cached is None:
                    raise
                return self._run(self.load(uid), expected_version, command, authorize)

        def on_conflict() -> None:
            if expected_version is not None:
                raise VersionConflict(f"{doing}: the case changed meanwhile; nothing was saved")

        return with_retries(attempt, on_conflict, doing, self.replayed)

    def replayed(self, look_again: bool) -> Saved | None:
        """What this request committed already, if it is a retry of one (``application.common.idempotency``)."""
        earlier = earlier_result(self.recorder, self.recorder.events_table_name, look_again)  # type: ignore[arg-type]
        return None if earlier is None else self.saved_of(earlier)

    def saved_of(self, earlier: Earlier) -> Saved:
        """What an earlier command returned, from what it committed."""
        if earlier.events_table != self.recorder.events_table_name:
            raise CaseNotFound(f"that request wrote no case (it wrote to {earlier.events_table})")
        case = self.load(earlier.aggregate_id, earlier.version)
        return Saved(case.id, case.number, case.version, earlier.notification_id)

    def _run(self, case: Case, expected_version: int | None, command: Callable[[Case], Any],
             authorize: Callable[[Case], None]) -> Saved:
        authorize(case)  # a caller who may not do this learns nothing, not even the version
        if expected_version is not None and (isinstance(expected_version, bool)
                                             or not isinstance(expected_version, int)):
            raise InvalidInput("expected_version: a whole number", {"expected_version": ["a whole number"]})
        if expected_version is not None and case.version != expected_version:
            raise VersionConflict(f"case {case.number} is at version {case.version}, not {expected_version}",
                                  current_version=case.version)
        return self.saved(case, command(case))

    def saved(self, case: Case, result: Any = None) -> Saved:
        """Save the case's new events, keep it for this process's next command, describe the outcome."""
        recordings = self.save(case)
        self.write_cache.put(case.id, case)
        last = recordings[-1].notification.id if recordings else None
        return Saved(case.id, case.number, case.version, last, result)


HISTORY_HIDDEN = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "reason"}


def _replay(events: list[Any]) -> Case:
    """The case after ``events`` (from its first)."""
    case = None
    for event in events:
        case = event.mutate(case)
    assert case is not None
    return case


def _history_entry(event: Any) -> dict[str, Any]:
    data = {k: v for k, v in vars(event).items() if k not in HISTORY_HIDDEN}
    return {"position": event.originator_version, "type": type(event).__name__, "at": event.timestamp,
            "actor": event.actor.to_dict(), "reason": event.reason, "data": data}


def _as_uuid(case_id: UUID | str) -> UUID:
    if isinstance(case_id, UUID):
        return case_id
    try:
        return UUID(str(case_id))
    except ValueError:
        raise CaseNotFound(f"no case {case_id} (a case id is a UUID)") from None
