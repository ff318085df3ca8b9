"""The Case aggregate: one applicant's filing of one bundle, reviewed by several departments.

Every command checks its rules first (raising a ``DomainError``), then records an event from
``domain.case.events``. Decisions settle the case: a rejected essential item rejects it; when
every item is finished it completes and releases all certificates together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.case import events as ev
from domain.case.deadlines import CaseDeadlines
from domain.case.due import AddWorkingDays, ItemClock, projected_due
from domain.case.rules import CaseGuards
from domain.case.state import Escalation, ItemState
from domain.case.supervision import CaseSupervision
from domain.catalogue.definitions import INSPECTION_METHODS, BundleDef
from domain.shared import errors
from domain.shared.values import Actor, Applicant, CaseStatus, Channel, ItemStatus
from domain.shared.working_days import IsWorkday, WorkClock, extend_after_pause

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "https://onething.invalid/case")


class Case(CaseDeadlines, CaseSupervision, CaseGuards, Aggregate):
    """A case: the items of one bundle version, their materials, decisions and supervision."""

    def __init__(
        self, number: str, bundle: str, bundle_version: int, applicant: dict, channel: str,
        opened_on: date, items: list, materials: list, actor: Actor, reason: str,
    ):
        self.number, self.bundle, self.bundle_version = number, bundle, bundle_version
        self.applicant, self.channel, self.opened_on = dict(applicant), channel, opened_on
        self.owner = actor.user_id
        self.status, self.closed_at = CaseStatus.OPEN, None
        self.items: dict[str, ItemState] = {d["code"]: ItemState.from_dict(d) for d in items}
        self.material_defs: dict[str, dict] = {m["key"]: dict(m) for m in materials}
        self.materials: dict[str, dict] = {}
        self.deficiencies: dict[str, date] = {}
        self.escalations: list[Escalation] = []
        self.rating: dict[str, Any] | None = None

    @staticmethod
    def create_id(number: str, **_: Any) -> UUID:
        """A case's id follows from its number, so a number is never given twice."""
        return uuid5(CASE_NAMESPACE, number)

    @classmethod
    def open(
        cls, *, number: str, bundle: BundleDef, bundle_version: int, applicant: Applicant,
        channel: Channel, opened_on: date, actor: Actor, reason: str = "",
    ) -> Case:
        """Open a case for ``bundle_version`` of ``bundle``; the opener becomes its owner."""
        if not applicant.name.strip():
            raise errors.InvalidValue("the applicant needs a name")
        CaseGuards.check_text(applicant.name, "applicant name")
        return cls._create(
            ev.Opened, number=number, bundle=bundle.code, bundle_version=bundle_version,
            applicant=applicant.to_dict(), channel=str(Channel(channel)), opened_on=opened_on,
            items=[ItemState.from_definition(i).to_dict() for i in bundle.items],
            materials=[{"key": m.key, "name": m.name, "deficiency_allowed": m.deficiency_allowed}
                       for m in bundle.materials],
            actor=actor, reason=reason,
        )

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Record an event; every reason is checked here, once, before anything is recorded."""
        self.check_text(kwargs.get("reason", ""), "reason")
        super().trigger_event(event_class, **kwargs)

    @property
    def due(self) -> date | None:
        """The latest due date recorded on the case's items, once any item has one (``due_as_of`` also
        projects the items whose clocks have not started)."""
        return max((i.due for i in self.items.values() if i.due), default=None)

    # Intake ---------------------------------------------------------------------------------
    def submit_material(self, key: str, filename: str, sha256: str, actor: Actor, reason: str = "") -> None:
        """Record a submitted material; it serves every item that needs it."""
        self.check_open()
        self.check_material(key)
        self.check_file(filename, sha256)
        self.trigger_event(ev.MaterialSubmitted, key=key, filename=filename, sha256=sha256.lower(),
                           actor=actor, reason=reason)

    def accept_with_deficiency(
        self, missing: list[str], supplement_due: date, today: date, actor: Actor, reason: str = "",
    ) -> None:
        """Accept the case although ``missing`` materials (only excusable ones) are not there yet."""
        self.check_open()
        self.check_deficiency(missing, supplement_due, today)
        self.trigger_event(ev.AcceptedWithDeficiency, missing=list(missing),
                           supplement_due=supplement_due, actor=actor, reason=reason)

    def withdraw(self, actor: Actor, reason: str) -> None:
        """Withdraw the case at the applicant's request."""
        self.check_open()
        self.check_reason(reason)
        self.trigger_event(ev.Withdrawn, actor=actor, reason=reason)

    def rate(self, score: int, comment: str, actor: Actor) -> None:
        """Record the applicant's rating (1–5) once the case is closed."""
        if self.status == CaseStatus.OPEN:
            raise errors.CaseNotClosed("a case is rated after it closes")
        if self.rating is not None:
            raise errors.InvalidRating("this case was rated already")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise errors.InvalidRating("a rating is a whole number from 1 to 5")
        self.check_text(comment, "comment")
        self.trigger_event(ev.Rated, score=score, comment=comment, actor=actor, reason="")

    # Review -----------------------------------------------------------------------------------
    def accept_item(self, code: str, today: date, is_workday: IsWorkday, actor: Actor, reason: str = "",
                    knows: Callable[[date], bool] = lambda _: True) -> None:
        """Accept an item for review; its clock starts the next working day, unless it started already when
        its prerequisites were approved. ``knows`` says whether the calendar has the real holidays of a
        day's year; if not, the due date is marked provisional."""
        item = self.check_item_status(code, ItemStatus.WAITING)
        self.check_materials_present(item, excused_ok=True)
        if item.due is not None:  # its clock started when its prerequisites were approved: it keeps running
            due, provisional = item.due, item.due_provisional
        else:
            due, provisional = WorkClock(today, is_workday, knows).due_after(item.time_limit_days)
        self.trigger_event(ev.ItemAccepted, item=code, accepted_on=today, due=due,
                           due_provisional=provisional, actor=actor, reason=reason)

    def request_supplement(self, code: str, materials: list[str], today: date, actor: Actor, reason: str) -> None:
        """Ask for corrected or additional material; the item's clock pauses."""
        self.check_item_status(code, ItemStatus.IN_REVIEW)
        self.check_reason(reason)
        if not isinstance(materials, list):
            raise errors.InvalidValue("materials must be a list of material keys")
        for key in materials:
            self.check_material(key, field="materials")
        self.trigger_event(ev.SupplementRequested, item=code, materials=list(materials), paused_on=today,
                           actor=actor, reason=reason)

    def receive_supplement(self, code: str, today: date, is_workday: IsWorkday, actor: Actor, reason: str = "",
                           knows: Callable[[date], bool] = lambda _: True) -> None:
        """Record that the supplement arrived; the due date moves by the paused working days."""
        item = self.check_item_status(code, ItemStatus.SUPPLEMENT_REQUESTED)
        assert item.due is not None and item.paused_on is not None  # set by accept / request
        due = extend_after_pause(item.due, item.paused_on, today, is_workday)
        provisional = item.due_provisional or not (knows(today) and knows(due))
        self.trigger_event(ev.SupplementReceived, item=code, due=due, due_provisional=provisional,
                           actor=actor, reason=reason)

    def record_inspection(self, code: str, method: str, passed: bool, actor: Actor, reason: str = "") -> None:
        """Record an on-site or video inspection and whether the item passed it."""
        item = self.check_item_status(code, ItemStatus.IN_REVIEW)
        if not isinstance(passed, bool):
            raise errors.InvalidValue("passed must be true or false")
        if method not in INSPECTION_METHODS:
            raise errors.InvalidValue(f"inspection method must be one of {INSPECTION_METHODS}")
        if item.inspection == "onsite" and method != "onsite":
            raise errors.InvalidValue(f"item {code!r} needs an on-site inspection; a {method} one does not do")
        self.trigger_event(ev.InspectionRecorded, item=code, method=method, passed=passed,
                           actor=actor, reason=reason)

    def approve_item(self, code: str, actor: Actor, reason: str = "", *, clock: WorkClock) -> None:
        """Approve an item on review: prerequisites approved, inspection passed if it needs one.
        ``clock`` (today and the calendar) starts the clocks of the items this approval releases."""
        item = self.check_item_status(code, ItemStatus.IN_REVIEW)
        self.check_prerequisites(item)
        if item.inspection and item.inspection_passed is not True:
            raise errors.InspectionRequired(f"item {code!r} needs a passed {item.inspection} inspection")
        self.trigger_event(ev.ItemApproved, item=code, actor=actor, reason=reason)
        self.start_released_clocks(code, clock, actor)
        self.settle(actor)

    def approve_on_commitment(self, code: str, commitment: str, actor: Actor, reason: str = "", *,
                              clock: WorkClock) -> None:
        """Approve at once on the applicant's signed commitment, where the item allows it."""
        item = self.check_item_status(code, ItemStatus.IN_REVIEW)
        if not item.commitment_allowed:
            raise errors.CommitmentNotAllowed(f"item {code!r} cannot be approved on commitment")
        if not isinstance(commitment, str) or not commitment.strip():
            raise errors.InvalidValue("the signed commitment's text is required")
        self.check_prerequisites(item)
        self.trigger_event(ev.ItemApprovedOnCommitment, item=code, commitment=commitment,
                           actor=actor, reason=reason)
        self.start_released_clocks(code, clock, actor)
        self.settle(actor)

    def start_released_clocks(self, approved: str, clock: WorkClock, actor: Actor) -> None:
        """Start the clock of every waiting item whose last prerequisite ``approved`` was: its department's
        time runs from today although nobody accepted it yet (an item accepted earlier keeps its clock)."""
        for item in self.items.values():
            if item.status == ItemStatus.WAITING and item.due is None and approved in item.prerequisites and \
                    all(self.items[p].status == ItemStatus.APPROVED for p in item.prerequisites):
                due, provisional = clock.due_after(item.time_limit_days)
                self.trigger_event(ev.ItemClockStarted, item=item.code, started_on=clock.today, due=due,
                                   due_provisional=provisional, actor=actor,
                                   reason=f"prerequisite {approved!r} approved")

    def due_as_of(self, as_of: date, add_days: AddWorkingDays) -> date | None:
        """The case's due date as of a day, following prerequisites (``domain.case.due``); a closed case's
        is the one it had on the day it closed (its caller passes that day)."""
        return projected_due((ItemClock(i.code, i.status, i.due, i.time_limit_days, tuple(i.prerequisites))
                              for i in self.items.values()), as_of, add_days)

    def revoke_commitment(self, code: str, actor: Actor, reason: str) -> None:
        """Revoke an approval on commitment after a failed verification (also after closing)."""
        item = self.check_item(code)
        if not item.on_commitment or item.revoked:
            raise errors.WrongItemStatus(f"item {code!r} holds no approval on commitment to revoke")
        self.check_reason(reason)
        self.trigger_event(ev.CommitmentRevoked, item=code, actor=actor, reason=reason)
        self.revoke_dependants(actor)
        if self.status == CaseStatus.OPEN:
            self.settle(actor)

    def revoke_dependants(self, actor: Actor) -> None:
        """Revoke every approved item that waits (directly or not) on a revoked one."""
        self.follow_prerequisites(
            affected=lambda item: item.status == ItemStatus.APPROVED, fallen=lambda p: p.revoked,
            event=ev.ApprovalRevoked, actor=actor)

    def reject_item(self, code: str, actor: Actor, reason: str) -> None:
        """Reject an item with the reason (before or during review)."""
        self.check_item_status(
            code, ItemStatus.WAITING, ItemStatus.IN_REVIEW, ItemStatus.SUPPLEMENT_REQUESTED
        )
        self.check_reason(reason)
        self.trigger_event(ev.ItemRejected, item=code, actor=actor, reason=reason)
        self.settle(actor)

    def issue_certificates(self, code: str, actor: Actor, reason: str = "") -> list[dict[str, str]]:
        """Issue the approved item's certificates with numbers unique to this case."""
        item = self.check_item_status(code, ItemStatus.APPROVED)
        if not item.outputs:
            raise errors.NothingToIssue(f"item {code!r} issues no certificate")
        if item.certificates:
            raise errors.CertificatesAlreadyIssued(f"item {code!r} has its certificates")
        self.check_materials_present(item, excused_ok=False)
        position = list(self.items).index(code) + 1
        certificates = [
            {"number": f"{self.number}-{position:02d}-{k}", "type": o["type"], "name": o["name"],
             "status": "held"}
            for k, o in enumerate(item.outputs, start=1)
        ]
        self.trigger_event(ev.CertificatesIssued, item=code, certificates=certificates,
                           actor=actor, reason=reason)
        self.settle(actor)
        return [dict(c) for c in self.items[code].certificates]  # released, if the case completed

    def settle(self, actor: Actor) -> None:
        """Follow a decision through: close the case if an essential item can no longer be
        approved; else withdraw items whose prerequisite fell; complete when all are finished."""
        if self.lost_essential_item() is None:
            self.withdraw_orphans(actor)
        fatal = self.lost_essential_item()
        items = list(self.items.values())
        if fatal is not None:
            self.trigger_event(ev.CaseRejected, actor=actor,
                               reason=f"essential item {fatal.code!r} was {fatal.status}")
        elif all(i.finished for i in items):
            if any(i.status == ItemStatus.APPROVED for i in items):
                self.trigger_event(ev.Completed, actor=actor, reason="every item is decided")
            else:
                self.trigger_event(ev.CaseRejected, actor=actor, reason="every item was rejected")

    def lost_essential_item(self) -> ItemState | None:
        """Return an essential item that was rejected or withdrawn while the case is open."""
        lost = (ItemStatus.REJECTED, ItemStatus.WITHDRAWN)
        return next((i for i in self.items.values() if i.essential and i.status in lost), None)

    def withdraw_orphans(self, actor: Actor) -> None:
        """Withdraw every undecided item that waits (directly or not) on a rejected item."""
        lost = (ItemStatus.REJECTED, ItemStatus.WITHDRAWN)
        self.follow_prerequisites(
            affected=lambda item: not item.decided, fallen=lambda p: p.status in lost,
            event=ev.ItemWithdrawn, actor=actor)

    def follow_prerequisites(self, affected: Callable[[ItemState], bool], fallen: Callable[[ItemState], bool],
                             event: type, actor: Actor) -> None:
        """Record ``event`` for every ``affected`` item with a ``fallen`` prerequisite, until none is left
        (an item it reaches may be the fallen prerequisite of another)."""
        changed = True
        while changed:
            changed = False
            for item in self.items.values():
                down = [p for p in item.prerequisites if fallen(self.items[p])]
                if affected(item) and down:
                    cause = self.items[down[0]]
                    state = "revoked" if cause.revoked else str(cause.status)
                    self.trigger_event(event, item=item.code, actor=actor,
                                       reason=f"prerequisite {down[0]!r} was {state}")
                    changed = True
