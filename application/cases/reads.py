"""The read side of the case application: one case (now, at a version, at a moment) as a ``CaseView``, its
history and chain, what changed between two versions, and what applied then. Every read checks who may see
the case; the aggregate never leaves this layer."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.audit.event_text import describe_history
from application.cases.diff import diff_cases, summarize_diff
from application.cases.views import CaseView, applicant_view, case_view
from application.common.access import may_view
from application.common.errors import CaseNotFound, InvalidInput, NotAllowed
from domain.case.aggregate import Case
from domain.shared.values import Actor, Role
from domain.shared.working_days import add_working_days

if TYPE_CHECKING:
    from application.cases.application import CaseApplication

HISTORY_HIDDEN = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "reason"}


class CaseReads:
    """Reads of cases, composed into the case application as ``cases.reads``."""

    def __init__(self, app: CaseApplication):
        self.app = app

    def get_case(self, actor: Actor, case_id: UUID | str, version: int | None = None) -> CaseView:
        """Return the case (as it stood at ``version``, if given) if the actor may see it. Its due date is as of
        today, or for a version asked for, as of the day of its last event then (the one it had on its own day)."""
        case = self._case(actor, case_id, version, whole=False)
        view = case_view(case, self.case_due(case, None if version is None else self._day_of(case.modified_on)))
        return applicant_view(view) if actor.role == Role.APPLICANT else view

    def case_as_of(self, actor: Actor, case_id: UUID | str, moment: datetime) -> CaseView:
        """Return the case as it stood at ``moment`` (after the last event recorded by then), due as of that day."""
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise InvalidInput("as_of: a date and time with its time zone", {"as_of": ["ISO 8601 with offset"]})
        events = self._visible_events(actor, case_id)
        then = [e for e in events if e.timestamp <= moment]
        if not then:
            raise CaseNotFound(f"case {case_id} did not exist yet at {moment.isoformat()}")
        case = _replay(then)
        return case_view(case, self.case_due(case, self._day_of(moment)))

    def as_saved(self, case_id: UUID | str, version: int, actor: Actor | None = None) -> CaseView:
        """The case as a command saved it, for the answer to that command (who may see it was checked by the
        command; it may have left the actor's sight, as ``may_see`` tells); an applicant's as it sees it."""
        case = self.app.load(case_id, version)
        view = case_view(case, self.case_due(case))
        return applicant_view(view) if actor is not None and actor.role == Role.APPLICANT else view

    def may_see(self, actor: Actor, case_id: UUID | str, version: int | None = None) -> bool:
        """Whether the actor may see the case as it is (or was at ``version``): after a transfer, perhaps not."""
        return may_view(actor, self.app.load(case_id, version))

    def _case(self, actor: Actor, case_id: UUID | str, version: int | None = None, *, whole: bool = True) -> Case:
        """The aggregate (as it stood at ``version``, if given) if the actor may see it as it is now; an
        applicant sees only its case as it is now (not ``whole``: ``applicant_view``), never its history."""
        _refuse_history_to_applicants(actor, whole or version is not None)
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise InvalidInput("version: a whole number from 1", {"version": ["a whole number from 1"]})
        current = self.app.load(case_id)  # who may see it is decided on what the case is now
        if not may_view(actor, current):
            raise NotAllowed(f"{actor.user_id} may not see case {current.number}")
        if version is not None and version > current.version:
            raise CaseNotFound(f"case {current.number} has no version {version} yet (it is at {current.version})")
        return current if version is None or version == current.version else self.app.load(case_id, version)

    def _day_of(self, moment: datetime) -> date:
        """The business day of a moment, in the service's time zone."""
        return moment.astimezone(self.app.clock.now().tzinfo).date()

    def case_due(self, case: Case, as_of: date | None = None) -> date | None:
        """The case's due date as of a day (today unless told; a closed case's closing day), following
        prerequisites (``domain.case.due``)."""
        clock = self.app.clock
        if case.closed_at is not None:
            as_of = datetime.fromisoformat(str(case.closed_at)).astimezone(clock.now().tzinfo).date()
        return case.due_as_of(as_of or clock.today(),
                              lambda start, days: add_working_days(start, days, self.app.is_workday))

    def diff(self, actor: Actor, case_id: UUID | str, from_version: int, to_version: int) -> dict[str, Any]:
        """What changed in the case from one of its versions to a later one (read as ``get_case`` reads)."""
        for name, value in (("from_version", from_version), ("to_version", to_version)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput(f"{name}: a whole number from 1", {name: ["a whole number from 1"]})
        if from_version > to_version:
            raise InvalidInput("from_version comes after to_version", {"from_version": ["at most to_version"]})
        current = self._case(actor, case_id)  # who may see it first: a refused caller learns no version
        if to_version > current.version:
            raise InvalidInput(f"case {current.number} is at version {current.version}",
                               {"to_version": [f"at most {current.version}"]})
        before = self._case(actor, case_id, from_version)
        after = current if to_version == current.version else self._case(actor, case_id, to_version)
        diff = diff_cases(before, after)
        return {**diff, "summary": summarize_diff(diff)}

    def context_then(self, case: CaseView, moment: datetime) -> dict[str, Any]:
        """What applied to a past state of the case: its bundle definition version (time limits and
        prerequisites of each item) and the calendar overrides recorded by ``moment``."""
        catalogue = self.app.catalogue
        definition, version = catalogue.definition(case.bundle, case.bundle_version)
        return {
            "at": moment.isoformat(), "version": case.version,
            "bundle": {"code": definition.code, "version": version, "items": [
                {"code": i.code, "department": i.department, "time_limit_days": i.time_limit_days,
                 "prerequisites": list(i.prerequisites)} for i in definition.items]},
            "calendar": catalogue.calendar_as_of(moment),
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
        rows: list[tuple[int, bytes | None, bytes | None]] = self.app.recorder.select_chain(  # type: ignore[attr-defined]
            as_uuid(case_id))
        return rows

    def chain_head(self, case_id: UUID | str, version: int | None = None) -> str | None:
        """The hash (hex) of the case's last stored event, or of its event at ``version``: the head of its chain."""
        digest = self.app.recorder.select_head(as_uuid(case_id), version)  # type: ignore[attr-defined]
        return digest.hex() if digest else None

    def _visible_events(self, actor: Actor, case_id: UUID | str) -> list[Any]:
        """The case's events, read once, if the actor may see the case as it is now."""
        _refuse_history_to_applicants(actor, True)
        events = list(self.app.events.get(as_uuid(case_id)))
        if not events:
            raise CaseNotFound(f"no case {case_id}")
        current = _replay(events)
        if not may_view(actor, current):
            raise NotAllowed(f"{actor.user_id} may not see case {current.number}")
        return events


def _refuse_history_to_applicants(actor: Actor, history: bool) -> None:
    """The events, past versions and changes of a case are the staff's and auditors' record: an applicant
    follows its case as it is now (reviewers' reasons and supervision are in the history)."""
    if history and actor.role == Role.APPLICANT:
        raise NotAllowed("the history of a case is for staff; an applicant sees its case as it is now")


def _replay(events: list[Any]) -> Case:
    """The case after ``events`` (from its first)."""
    case: Case | None = None
    for event in events:
        case = event.mutate(case)
    if case is None:
        raise CaseNotFound("a case without events")
    return case


def _history_entry(event: Any) -> dict[str, Any]:
    data = {k: v for k, v in vars(event).items() if k not in HISTORY_HIDDEN}
    return {"position": event.originator_version, "type": type(event).__name__, "at": event.timestamp,
            "actor": event.actor.to_dict(), "reason": event.reason, "data": data}


def as_uuid(case_id: UUID | str) -> UUID:
    """The case id as a UUID, or ``CaseNotFound`` for text that is none."""
    if isinstance(case_id, UUID):
        return case_id
    try:
        return UUID(str(case_id))
    except ValueError:
        raise CaseNotFound(f"no case {case_id} (a case id is a UUID)") from None
