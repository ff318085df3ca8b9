"""The Case aggregate: one applicant's filing of one bundle, reviewed by several departments.

``Case`` is one class. Its events come first, nested in it (``Case.Opened``, ``Case.ItemApproved`` …) and
grouped as its commands are; each ``apply`` only records what happened, and runs again on every replay, so
it reads nothing but the event and the case. Its commands follow, grouped: intake, review (with the
settling that follows a decision), supervision, deadlines. Every command checks its rules first
(``domain.case.rules``, ``domain.shared.text``; each raises a ``DomainError``), then records an event.
Decisions settle the case: a rejected essential item rejects it; when every item is finished it completes
and releases all certificates together. The deadline policy is a pure function (``domain.case.deadlines``)
whose findings ``check_deadlines`` records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.case import deadlines, rules
from domain.case.due import AddWorkingDays, ItemClock, projected_due
from domain.case.state import Escalation, ItemState
from domain.catalogue.definitions import INSPECTION_METHODS, BundleDef, check_answers
from domain.shared import errors
from domain.shared.recorded import Created, Recorded
from domain.shared.text import check_reason, check_text
from domain.shared.values import (
    CLEARED_ITEM_STATUSES,
    CLOSED_CASE_STATUSES,
    POOR_RATING,
    PRE_REVIEW_DAYS,
    TOP_ESCALATION_LEVEL,
    Actor,
    Applicant,
    CaseStatus,
    CertificateStatus,
    Channel,
    ItemStatus,
    MaterialSource,
)
from domain.shared.working_days import IsWorkday, WorkClock, add_working_days, extend_after_pause

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "https://onething.invalid/case")


class Case(Aggregate):
    """A case: the items of one bundle version, their materials, decisions and supervision."""

    class_version = 4  # of the state in snapshots

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Snapshots of version 1 kept one version per material and no list of versions."""
        materials = {key: {"version": 1, "filename": entry["filename"], "sha256": entry["sha256"], "size": 0,
                           "media_type": "", "source": "paper", "licence": "", "submitted_at": entry["submitted_at"],
                           "by": entry["by"]}
                     for key, entry in state.get("materials", {}).items()}
        state["materials"] = materials
        state["material_versions"] = {key: [dict(entry)] for key, entry in materials.items()}

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Snapshots of version 2 had no answers (no bundle asked questions)."""
        state["answers"] = {}

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """Snapshots of version 3 knew no online filing and no follow-up of a poor rating. Their items keep the
        defaults of what supplement requests asked and of rejection reasons (not in the snapshot; the events
        after it record them): the applicant may then answer such a request with any material of the item."""
        state["pre_review"] = None
        state["follow_up"] = None

    # Events: intake ----------------------------------------------------------------------------
    class Opened(Created):
        """The case was opened at the single window for one published bundle version, with the applicant's
        answers to the bundle's questions."""

        class_version = 2
        number: str
        bundle: str
        bundle_version: int
        applicant: dict[str, Any]
        channel: str
        opened_on: date
        items: list[dict[str, Any]]
        materials: list[dict[str, Any]]
        answers: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 asked no questions."""
            state["answers"] = {}

    class ItemEvent(Recorded):
        """An event about one item of the case."""

        item: str

    # Events: online filing and intake's pre-review (网上办, 网上预审) -------------------------------------
    class FiledOnline(Recorded):
        """The applicant filed the case online on ``on``; it waits in intake's pre-review."""

        on: date

        def apply(self, case: Case) -> None:
            case.status, case.owner = CaseStatus.SUBMITTED, ""  # no first-contact owner until intake accepts
            case.pre_review = {"filed_on": self.on.isoformat(), "since": self.on.isoformat(), "missing": [],
                               "asked_at": {}, "returned_on": None, "return_reason": "", "accepted_on": None,
                               "deemed": False}

    class IntakeAccepted(Recorded):
        """Intake accepted the online filing (受理), or — ``deemed`` — the law did, as intake did not answer within
        5 working days (行政许可法 art. 32); the case is open and the accepting officer its first-contact owner (a
        case accepted by law has none until a supervisor assigns one)."""

        deemed: bool
        on: date

        def apply(self, case: Case) -> None:
            case.status, case.owner = CaseStatus.OPEN, "" if self.deemed else self.actor.user_id
            assert case.pre_review is not None
            case.pre_review.update(accepted_on=self.on.isoformat(), deemed=self.deemed)

    class IntakeReturned(Recorded):
        """Intake returned the filing once, listing every material missing (一次性告知); the applicant supplies
        them and the case is back in pre-review by itself."""

        missing: list[str]
        on: date

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.RETURNED
            assert case.pre_review is not None
            case.pre_review.update(
                missing=list(self.missing), returned_on=self.on.isoformat(), return_reason=self.reason,
                asked_at={key: len(case.material_versions.get(key, ())) for key in self.missing})

    class ResubmittedForPreReview(Recorded):
        """Every material the return listed has a new version: the filing is back in pre-review from ``on``."""

        on: date

        def apply(self, case: Case) -> None:
            case.status = CaseStatus.SUBMITTED
            assert case.pre_review is not None
            case.pre_review["since"] = self.on.isoformat()

    class MaterialSubmitted(Recorded):
        """A version of a material was submitted (once, for every item that needs it): a stored file
        (uploaded, reused from the applicant's vault, or an e-licence the applicant holds) or paper kept
        on file. Its SHA-256 is in this hash-chained event, so tampering with the stored bytes shows."""

        class_version = 2
        key: str
        filename: str
        sha256: str
        version: int
        size: int
        media_type: str
        source: str  # MaterialSource: upload, vault, licence, paper
        licence: str  # the e-licence's number when the source is a licence, else ""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 recorded only the file name and digest of paper kept on file, one version."""
            state.update(version=0, size=0, media_type="", source="paper", licence="")

        def apply(self, case: Case) -> None:
            versions = case.material_versions.setdefault(self.key, [])
            if self.version == 0:  # recorded by version 1, which kept one file per material: it replaces
                versions.clear()
            entry = {
                "version": len(versions) + 1, "filename": self.filename, "sha256": self.sha256,
                "size": self.size, "media_type": self.media_type, "source": self.source,
                "licence": self.licence, "submitted_at": self.timestamp.isoformat(), "by": self.actor.user_id,
            }
            versions.append(entry)
            case.materials[self.key] = entry
            case.deficiencies.pop(self.key, None)

    class AcceptedWithDeficiency(Recorded):
        """The case was accepted although these materials are missing; they are due later."""

        missing: list[str]
        supplement_due: date

        def apply(self, case: Case) -> None:
            for key in self.missing:
                case.deficiencies[key] = self.supplement_due

    # Events: review ----------------------------------------------------------------------------
    class ItemAccepted(ItemEvent):
        """The item's department accepted it for review; its clock starts."""

        class_version = 2
        accepted_on: date
        due: date
        due_provisional: bool  # the due date lies in a year whose holidays the calendar does not know yet

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not say whether the due date was provisional."""
            state["due_provisional"] = False

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            item.status, item.accepted_on, item.due = ItemStatus.IN_REVIEW, self.accepted_on, self.due
            item.clock_from = item.clock_from or self.accepted_on
            item.due_provisional = self.due_provisional

    class ItemClockStarted(ItemEvent):
        """The last prerequisite of a waiting item was approved: its clock starts before it is accepted."""

        started_on: date
        due: date
        due_provisional: bool

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            item.clock_from, item.due, item.due_provisional = self.started_on, self.due, self.due_provisional

    class SupplementRequested(ItemEvent):
        """The reviewer asked for corrected or additional material; the clock pauses."""

        materials: list[str]
        paused_on: date

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            item.status, item.paused_on = ItemStatus.SUPPLEMENT_REQUESTED, self.paused_on
            asked = self.materials or item.materials  # none named: any material of the item answers it
            item.requested = {key: len(case.material_versions.get(key, ())) for key in asked}
            item.request_any, item.request_reason = not self.materials, self.reason

    class SupplementReceived(ItemEvent):
        """The supplement arrived; review goes on with the due date moved by the pause."""

        class_version = 2
        due: date
        due_provisional: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not say whether the due date was provisional."""
            state["due_provisional"] = False

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            item.status, item.paused_on, item.due = ItemStatus.IN_REVIEW, None, self.due
            item.due_provisional = self.due_provisional
            item.requested, item.request_reason, item.request_any = {}, "", False

    class InspectionRecorded(ItemEvent):
        """An on-site or video inspection of the item took place."""

        method: str
        passed: bool

        def apply(self, case: Case) -> None:
            case.items[self.item].inspection_passed = self.passed

    class Decision(ItemEvent):
        """A decision on an item, recording the material versions (key → sha256) it was made on."""

        class_version = 2
        materials: dict[str, str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not record the material versions a decision was made on."""
            state["materials"] = {}

    class ItemApproved(Decision):
        """The item was approved on review."""

        def apply(self, case: Case) -> None:
            case.items[self.item].status = ItemStatus.APPROVED

    class ItemApprovedOnCommitment(Decision):
        """The item was approved at once on the applicant's signed commitment (告知承诺)."""

        commitment: str

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            item.status, item.on_commitment = ItemStatus.APPROVED, True

    class CommitmentRevoked(ItemEvent):
        """A later verification found the commitment untrue: the approval and certificates fall."""

        def apply(self, case: Case) -> None:
            _revoke(case, self.item)

    class ApprovalRevoked(ItemEvent):
        """An approved item fell with a prerequisite whose approval was revoked."""

        def apply(self, case: Case) -> None:
            _revoke(case, self.item)

    class ItemRejected(Decision):
        """The item was rejected, with the reason."""

        def apply(self, case: Case) -> None:
            case.items[self.item].status = ItemStatus.REJECTED
            case.items[self.item].rejection_reason = self.reason

    class CertificatesIssued(ItemEvent):
        """The item's certificates were issued (released to the applicant when the case completes)."""

        certificates: list[dict[str, Any]]

        def apply(self, case: Case) -> None:
            case.items[self.item].certificates = [dict(c) for c in self.certificates]

    class RulesEvaluated(ItemEvent):
        """The item's rules (one rule set, by its sha256) were evaluated on the case's facts: whether the item
        applies, what they found, whether the system may approve it. Replays read this; they never evaluate."""

        rule_set: str
        bundle_version: int
        inputs: dict[str, Any]
        outputs: dict[str, Any]
        matched: list[str]
        digest: str

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            applies = self.outputs.get("applies", True) is not False
            if not applies and item.status == ItemStatus.WAITING:
                item.status = ItemStatus.NOT_APPLICABLE
            elif applies and item.status == ItemStatus.NOT_APPLICABLE and not _went_ahead_without(case, self.item):
                item.status = ItemStatus.WAITING  # needed after all: unless what waited on it has gone ahead
            findings = self.outputs.get("findings") or []
            item.findings = [str(f) for f in findings] if isinstance(findings, list) else [str(findings)]
            item.auto_approve = self.outputs.get("auto_approve") is True
            item.rules_digest = self.digest

    class ItemWithdrawn(ItemEvent):
        """The item can no longer be approved (a prerequisite was rejected), so it was withdrawn."""

        def apply(self, case: Case) -> None:
            case.items[self.item].status = ItemStatus.WITHDRAWN

    # Events: closing ---------------------------------------------------------------------------
    class Completed(Recorded):
        """Every item was decided: the case closes and all certificates are released together."""

        def apply(self, case: Case) -> None:
            _close(case, CaseStatus.COMPLETED, self.timestamp.isoformat())

    class CaseRejected(Recorded):
        """The case was rejected (an essential item was rejected, or every item was)."""

        def apply(self, case: Case) -> None:
            _close(case, CaseStatus.REJECTED, self.timestamp.isoformat())

    class Withdrawn(Recorded):
        """The applicant withdrew the case."""

        def apply(self, case: Case) -> None:
            _close(case, CaseStatus.WITHDRAWN, self.timestamp.isoformat())

    class Rated(Recorded):
        """The applicant rated the service (好差评) after the case closed."""

        score: int
        comment: str

        def apply(self, case: Case) -> None:
            case.rating = {"score": self.score, "comment": self.comment}

    class RatingFollowUpOpened(Recorded):
        """The rating was poor: a follow-up (差评整改) opened, to be closed by a supervisor by ``due``."""

        due: date

        def apply(self, case: Case) -> None:
            case.follow_up = {"opened_at": self.timestamp.isoformat(), "due": self.due.isoformat(),
                              "closed_at": None, "closed_by": None, "return_visit": None, "reason": None}

    class RatingFollowUpClosed(Recorded):
        """A supervisor closed the follow-up of a poor rating, with the return visit (回访) recorded."""

        return_visit: str

        def apply(self, case: Case) -> None:
            assert case.follow_up is not None
            case.follow_up.update(closed_at=self.timestamp.isoformat(), closed_by=self.actor.user_id,
                                  return_visit=self.return_visit, reason=self.reason)

    # Events: supervision and deadlines ---------------------------------------------------------
    class OwnerReassigned(Recorded):
        """Another officer became the case's first-contact owner."""

        owner: str

        def apply(self, case: Case) -> None:
            case.owner = self.owner

    class ItemTransferred(ItemEvent):
        """The item was passed to another department (转办)."""

        from_department: str
        to_department: str

        def apply(self, case: Case) -> None:
            item = case.items[self.item]
            item.department, item.assignee = self.to_department, None  # the new department assigns anew

    class ItemAssigned(ItemEvent):
        """A supervisor put the item on one reviewer's desk (its department's reviewers' otherwise)."""

        reviewer: str

        def apply(self, case: Case) -> None:
            case.items[self.item].assignee = self.reviewer

    class EscalationOpened(Recorded):
        """The case was put under supervision (督办) at a level, by a supervisor or by a breach."""

        class_version = 2
        number: int
        level: int
        opened_on: date | None  # the business day; None for events recorded before version 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not record the business day."""
            state["opened_on"] = None

        def apply(self, case: Case) -> None:
            case.escalations.append(
                Escalation(self.number, self.level, self.reason, self.actor.user_id,
                           self.timestamp.isoformat(), since=self.opened_on)
            )

    class EscalationRaised(Recorded):
        """An open escalation rose a level (提级督办): by a supervisor, or when left unresolved too long."""

        number: int
        level: int
        raised_on: date

        def apply(self, case: Case) -> None:
            escalation = case.escalations[self.number - 1]
            escalation.level, escalation.since = self.level, self.raised_on

    class ItemUrged(ItemEvent):
        """A supervisor urged the department that holds the item (催办)."""

        def apply(self, case: Case) -> None:
            case.items[self.item].urges += 1

    class DeadlineWarned(ItemEvent):
        """80 % of the item's working time is used (yellow warning)."""

        due: date
        used_days: int
        allowed_days: int

        def apply(self, case: Case) -> None:
            case.items[self.item].warned = True

    class DeadlineBreached(ItemEvent):
        """The item is overdue (red)."""

        due: date

        def apply(self, case: Case) -> None:
            case.items[self.item].breached = True

    class EscalationResolved(Recorded):
        """A supervisor closed an escalation."""

        number: int

        def apply(self, case: Case) -> None:
            escalation = case.escalations[self.number - 1]
            escalation.resolved_at = self.timestamp.isoformat()
            escalation.resolved_by, escalation.resolution = self.actor.user_id, self.reason

    # State ---------------------------------------------------------------------------------------
    def __init__(
        self, number: str, bundle: str, bundle_version: int, applicant: dict[str, Any], channel: str,
        opened_on: date, items: list[dict[str, Any]], materials: list[dict[str, Any]], actor: Actor,
        reason: str, answers: dict[str, Any] | None = None,
    ):
        self.number, self.bundle, self.bundle_version = number, bundle, bundle_version
        self.applicant, self.channel, self.opened_on = dict(applicant), channel, opened_on
        self.owner = actor.user_id
        self.status = CaseStatus.OPEN
        self.closed_at: str | None = None
        self.items: dict[str, ItemState] = {d["code"]: ItemState.from_dict(d) for d in items}
        self.material_defs: dict[str, dict[str, Any]] = {m["key"]: dict(m) for m in materials}
        self.materials: dict[str, dict[str, Any]] = {}  # key → its latest version
        self.material_versions: dict[str, list[dict[str, Any]]] = {}  # key → every version, oldest first
        self.deficiencies: dict[str, date] = {}
        self.escalations: list[Escalation] = []
        self.rating: dict[str, Any] | None = None
        self.answers: dict[str, Any] = dict(answers or {})
        self.pre_review: dict[str, Any] | None = None  # an online filing's pre-review (dates as ISO text)
        self.follow_up: dict[str, Any] | None = None  # a poor rating's follow-up

    @staticmethod
    def create_id(number: str, **_: Any) -> UUID:
        """A case's id follows from its number, so a number is never given twice."""
        return uuid5(CASE_NAMESPACE, number)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Record an event; every reason is checked here, once, before anything is recorded."""
        check_text(kwargs.get("reason", ""), "reason")
        super().trigger_event(event_class, **kwargs)

    def check_item(self, code: str) -> ItemState:
        """Return the item, or raise ``UnknownItem``."""
        return rules.check_item(self.items, code)

    @property
    def due(self) -> date | None:
        """The latest due date recorded on the case's items, once any item has one (``due_as_of`` also
        projects the items whose clocks have not started)."""
        return max((i.due for i in self.items.values() if i.due), default=None)

    def due_as_of(self, as_of: date, add_days: AddWorkingDays) -> date | None:
        """The case's due date as of a day, following prerequisites (``domain.case.due``); a closed case's
        is the one it had on the day it closed (its caller passes that day)."""
        return projected_due((ItemClock(i.code, i.status, i.due, i.time_limit_days, tuple(i.prerequisites))
                              for i in self.items.values()), as_of, add_days)

    def _item_in(self, code: str, *allowed: ItemStatus) -> ItemState:
        """The open case's item ``code`` if its status is one of ``allowed`` (``rules.check_item_status``)."""
        return rules.check_item_status(self.status, self.items, code, *allowed)

    # Intake --------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, *, number: str, bundle: BundleDef, bundle_version: int, applicant: Applicant,
        channel: Channel, opened_on: date, actor: Actor, reason: str = "", answers: dict[str, Any] | None = None,
    ) -> Case:
        """Open a case for ``bundle_version`` of ``bundle`` with the answers to its questions (checked against
        them); the opener becomes its owner."""
        if not applicant.name.strip():
            raise errors.InvalidValue("the applicant needs a name")
        check_text(applicant.name, "applicant name")
        checked = check_answers(bundle, answers)
        return cls._create(
            cls.Opened, number=number, bundle=bundle.code, bundle_version=bundle_version,
            applicant=applicant.to_dict(), channel=str(Channel(channel)), opened_on=opened_on,
            items=[ItemState.from_definition(i).to_dict() for i in bundle.items],
            materials=[{"key": m.key, "name": m.name, "deficiency_allowed": m.deficiency_allowed,
                        "licence_types": list(m.licence_types)} for m in bundle.materials],
            answers=checked, actor=actor, reason=reason,
        )

    @classmethod
    def file_online(
        cls, *, number: str, bundle: BundleDef, bundle_version: int, applicant: Applicant, filed_on: date,
        actor: Actor, reason: str = "", answers: dict[str, Any] | None = None,
    ) -> Case:
        """Open a case the applicant filed online (channel ``online``): it waits in intake's pre-review."""
        case = cls.open(number=number, bundle=bundle, bundle_version=bundle_version, applicant=applicant,
                        channel=Channel.ONLINE, opened_on=filed_on, actor=actor, reason=reason, answers=answers)
        case.trigger_event(cls.FiledOnline, on=filed_on, actor=actor, reason=reason)
        return case

    def accept_filing(self, today: date, actor: Actor, reason: str = "") -> None:
        """Intake accepts the online filing waiting in pre-review: the case is open."""
        self._check_in_pre_review()
        self.trigger_event(self.IntakeAccepted, deemed=False, on=today, actor=actor, reason=reason)

    def return_filing(self, missing: list[str], today: date, actor: Actor, reason: str) -> None:
        """Intake returns the filing, listing every material missing at once (一次性告知): once only."""
        self._check_in_pre_review()
        assert self.pre_review is not None
        if self.pre_review["returned_on"] is not None:
            raise errors.ReturnedOnce(
                f"case {self.number} was returned on {self.pre_review['returned_on']} already: everything missing "
                "is told at once (一次性告知); accept it now (its reviewers may still ask for supplements)")
        check_reason(reason)
        keys = rules.check_missing(self.material_defs, missing)
        self.trigger_event(self.IntakeReturned, missing=keys, on=today, actor=actor, reason=reason)

    def pre_review_deadline(self, is_workday: IsWorkday) -> date | None:
        """The last working day intake has to answer the filing waiting in pre-review (None: none is waiting)."""
        if self.status != CaseStatus.SUBMITTED or self.pre_review is None:
            return None
        return add_working_days(date.fromisoformat(self.pre_review["since"]), PRE_REVIEW_DAYS, is_workday)

    def accept_if_unanswered(self, today: date, is_workday: IsWorkday, actor: Actor) -> bool:
        """Record the filing accepted by law if intake let its deadline pass (行政许可法 art. 32); whether it was."""
        deadline = self.pre_review_deadline(is_workday)
        if deadline is None or today <= deadline or not is_workday(today):  # recorded on a working day
            return False
        self.trigger_event(
            self.IntakeAccepted, deemed=True, on=today, actor=actor,
            reason=f"not answered within {PRE_REVIEW_DAYS} working days (by {deadline.isoformat()}): accepted as "
                   "the law provides (行政许可法 art. 32)")
        return True

    def _check_in_pre_review(self) -> None:
        if self.status != CaseStatus.SUBMITTED:
            raise errors.NotInPreReview(f"case {self.number} is {self.status}, not waiting in pre-review")

    def supplied_items(self) -> list[str]:
        """Items waiting for a supplement that the materials now answer: every material asked for has a version
        newer than when it was asked for."""
        return [item.code for item in self.items.values()
                if item.status == ItemStatus.SUPPLEMENT_REQUESTED and item.requested
                and (any if item.request_any else all)(
                    len(self.material_versions.get(key, ())) > then for key, then in item.requested.items())]

    def submit_material(self, key: str, filename: str, sha256: str, actor: Actor, reason: str = "", *,
                        size: int = 0, media_type: str = "", source: MaterialSource = MaterialSource.PAPER,
                        licence: str = "", today: date | None = None) -> None:
        """Record the next version of a material; it serves every item that needs it. A stored file gives its
        size and media type; paper kept on file only a name and a digest. Approved items that waited for
        this (excused) material get their certificates now."""
        self.check_material_may_be_submitted(key)
        rules.check_file(filename, sha256)
        source = MaterialSource(source)
        if source != MaterialSource.PAPER and (not isinstance(size, int) or size <= 0 or not media_type):
            raise errors.InvalidValue("a stored file needs its size and media type")
        if source == MaterialSource.LICENCE and not licence:
            raise errors.InvalidValue("a material from an e-licence names the licence")
        self.trigger_event(self.MaterialSubmitted, key=key, filename=filename, sha256=sha256.lower(),
                           version=len(self.material_versions.get(key, ())) + 1, size=size,
                           media_type=media_type, source=str(source), licence=licence, actor=actor, reason=reason)
        if self.status == CaseStatus.RETURNED and self._returned_materials_supplied():
            on = today if today is not None else self.modified_on.date()
            self.trigger_event(self.ResubmittedForPreReview, on=on, actor=actor,
                               reason="every material the return listed was supplied")
        waiting = [item.code for item in self.items.values() if self.issuable_on_approval(item)]
        for code in waiting:
            self._issue(code, actor, "the material it waited for arrived", today)
        if waiting:
            self.settle(actor)

    def _returned_materials_supplied(self) -> bool:
        assert self.pre_review is not None
        return all(len(self.material_versions.get(key, ())) > then
                   for key, then in self.pre_review["asked_at"].items())

    def check_material_may_be_submitted(self, key: str) -> None:
        """Raise unless a version of material ``key`` may be submitted now (checked before a file is stored):
        the case is open, or in pre-review."""
        rules.check_not_closed(self.status)
        rules.check_material(self.material_defs, key)

    def decided_on(self, item: ItemState) -> dict[str, str]:
        """The material versions a decision on ``item`` is made on: key → sha256 of the latest version."""
        return {key: self.materials[key]["sha256"] for key in item.materials if key in self.materials}

    def accept_with_deficiency(
        self, missing: list[str], supplement_due: date, today: date, actor: Actor, reason: str = "",
    ) -> None:
        """Accept the case although ``missing`` materials (only excusable ones) are not there yet."""
        rules.check_open(self.status)
        rules.check_deficiency(self.material_defs, self.materials, missing, supplement_due, today)
        self.trigger_event(self.AcceptedWithDeficiency, missing=list(missing),
                           supplement_due=supplement_due, actor=actor, reason=reason)

    def withdraw(self, actor: Actor, reason: str) -> None:
        """Withdraw the case at the applicant's request (also while an online filing is in pre-review)."""
        rules.check_not_closed(self.status)
        check_reason(reason)
        self.trigger_event(self.Withdrawn, actor=actor, reason=reason)

    def rate(self, score: int, comment: str, actor: Actor, follow_up_due: date | None = None) -> None:
        """Record the applicant's rating (1–5: 非常不满意 … 非常满意) once the case is closed; a poor one (at most
        ``POOR_RATING``) opens a follow-up a supervisor must close by ``follow_up_due``."""
        if self.status not in CLOSED_CASE_STATUSES:
            raise errors.CaseNotClosed("a case is rated after it closes")
        if self.pre_review is not None and self.pre_review["accepted_on"] is None:
            raise errors.CaseNotClosed("an online filing withdrawn before it was accepted is not rated: no service "
                                       "was given")
        if self.rating is not None:
            raise errors.InvalidRating("this case was rated already")
        rules.check_rating(score)
        check_text(comment, "comment")
        self.trigger_event(self.Rated, score=score, comment=comment, actor=actor, reason="")
        if score <= POOR_RATING and follow_up_due is not None:
            self.trigger_event(self.RatingFollowUpOpened, due=follow_up_due, actor=actor,
                               reason=f"rated {score} of 5: the poor rating is followed up (差评整改)")

    def close_follow_up(self, return_visit: str, actor: Actor, reason: str) -> None:
        """Close the open follow-up of a poor rating, recording the return visit (回访) to the applicant."""
        if self.follow_up is None or self.follow_up["closed_at"] is not None:
            raise errors.NoOpenFollowUp(f"case {self.number} has no open follow-up of a poor rating")
        check_text(return_visit, "return visit")
        if not isinstance(return_visit, str) or not return_visit.strip():
            raise errors.InvalidValue("return_visit: say how the applicant was visited again and what it said")
        check_reason(reason)
        self.trigger_event(self.RatingFollowUpClosed, return_visit=return_visit.strip(), actor=actor, reason=reason)

    # Review --------------------------------------------------------------------------------------
    def accept_item(self, code: str, today: date, is_workday: IsWorkday, actor: Actor, reason: str = "",
                    knows: Callable[[date], bool] = lambda _: True) -> None:
        """Accept an item for review; its clock starts the next working day, unless it started already when
        its prerequisites were approved. ``knows`` says whether the calendar has the real holidays of a
        day's year; if not, the due date is marked provisional."""
        item = self._item_in(code, ItemStatus.WAITING)
        rules.check_materials_present(item, self.materials, self.deficiencies, excused_ok=True)
        if item.due is not None:  # its clock started when its prerequisites were approved: it keeps running
            due, provisional = item.due, item.due_provisional
        else:
            due, provisional = WorkClock(today, is_workday, knows).due_after(item.time_limit_days)
        self.trigger_event(self.ItemAccepted, item=code, accepted_on=today, due=due,
                           due_provisional=provisional, actor=actor, reason=reason)

    def request_supplement(self, code: str, materials: list[str], today: date, actor: Actor, reason: str) -> None:
        """Ask for corrected or additional material; the item's clock pauses."""
        self._item_in(code, ItemStatus.IN_REVIEW)
        check_reason(reason)
        if not isinstance(materials, list):
            raise errors.InvalidValue("materials must be a list of material keys")
        for key in materials:
            rules.check_material(self.material_defs, key, field="materials")
        self.trigger_event(self.SupplementRequested, item=code, materials=list(materials), paused_on=today,
                           actor=actor, reason=reason)

    def receive_supplement(self, code: str, today: date, is_workday: IsWorkday, actor: Actor, reason: str = "",
                           knows: Callable[[date], bool] = lambda _: True) -> None:
        """Record that the supplement arrived; the due date moves by the paused working days."""
        item = self._item_in(code, ItemStatus.SUPPLEMENT_REQUESTED)
        assert item.due is not None and item.paused_on is not None  # set by accept / request
        due = extend_after_pause(item.due, item.paused_on, today, is_workday)
        provisional = item.due_provisional or not (knows(today) and knows(due))
        self.trigger_event(self.SupplementReceived, item=code, due=due, due_provisional=provisional,
                           actor=actor, reason=reason)

    def record_inspection(self, code: str, method: str, passed: bool, actor: Actor, reason: str = "") -> None:
        """Record an on-site or video inspection and whether the item passed it."""
        item = self._item_in(code, ItemStatus.IN_REVIEW)
        if not isinstance(passed, bool):
            raise errors.InvalidValue("passed must be true or false")
        if method not in INSPECTION_METHODS:
            raise errors.InvalidValue(f"inspection method must be one of {INSPECTION_METHODS}")
        if item.inspection == "onsite" and method != "onsite":
            raise errors.InvalidValue(f"item {code!r} needs an on-site inspection; a {method} one does not do")
        self.trigger_event(self.InspectionRecorded, item=code, method=method, passed=passed,
                           actor=actor, reason=reason)

    def approve_item(self, code: str, actor: Actor, reason: str = "", *, clock: WorkClock) -> None:
        """Approve an item on review: prerequisites approved, inspection passed if it needs one.
        ``clock`` (today and the calendar) starts the clocks of the items this approval releases."""
        item = self._item_in(code, ItemStatus.IN_REVIEW)
        rules.check_prerequisites(self.items, item)
        if item.inspection and item.inspection_passed is not True:
            raise errors.InspectionRequired(f"item {code!r} needs a passed {item.inspection} inspection")
        self.trigger_event(self.ItemApproved, item=code, materials=self.decided_on(item), actor=actor,
                           reason=reason)
        self.issue_on_approval(code, actor, clock.today)
        self.start_released_clocks(code, clock, actor)
        self.settle(actor)

    def approve_on_commitment(self, code: str, commitment: str, actor: Actor, reason: str = "", *,
                              clock: WorkClock) -> None:
        """Approve at once on the applicant's signed commitment, where the item allows it."""
        item = self._item_in(code, ItemStatus.IN_REVIEW)
        if not item.commitment_allowed:
            raise errors.CommitmentNotAllowed(f"item {code!r} cannot be approved on commitment")
        if not isinstance(commitment, str) or not commitment.strip():
            raise errors.InvalidValue("the signed commitment's text is required")
        rules.check_prerequisites(self.items, item)
        self.trigger_event(self.ItemApprovedOnCommitment, item=code, commitment=commitment,
                           materials=self.decided_on(item), actor=actor, reason=reason)
        self.issue_on_approval(code, actor, clock.today)
        self.start_released_clocks(code, clock, actor)
        self.settle(actor)

    def start_released_clocks(self, approved: str, clock: WorkClock, actor: Actor) -> None:
        """Start the clock of every waiting item whose last prerequisite ``approved`` was: its department's
        time runs from today although nobody accepted it yet (an item accepted earlier keeps its clock)."""
        for item in self.items.values():
            if item.status == ItemStatus.WAITING and item.due is None and approved in item.prerequisites and \
                    all(self.items[p].status in CLEARED_ITEM_STATUSES for p in item.prerequisites):
                due, provisional = clock.due_after(item.time_limit_days)
                self.trigger_event(self.ItemClockStarted, item=item.code, started_on=clock.today, due=due,
                                   due_provisional=provisional, actor=actor,
                                   reason=f"prerequisite {approved!r} approved")

    # Rules ----------------------------------------------------------------------------------------
    def record_rules(self, code: str, rule_set: str, bundle_version: int, inputs: dict[str, Any],
                     outputs: dict[str, Any], matched: list[str], digest: str, actor: Actor) -> bool:
        """Record an evaluation of the item's rules, unless the same rule set on the same inputs was recorded
        last (an evaluation is recorded once); only while the case is open and the item undecided (a rule
        never undoes a decision; an item found not to apply may be found to apply again). Returns whether
        anything was recorded."""
        item = self.check_item(code)
        if self.status != CaseStatus.OPEN or item.rules_digest == digest or \
                (item.decided and item.status != ItemStatus.NOT_APPLICABLE):
            return False
        if not isinstance(outputs, dict):
            raise errors.InvalidValue(f"the rules of item {code!r} gave no object")
        self.trigger_event(self.RulesEvaluated, item=code, rule_set=rule_set, bundle_version=bundle_version,
                           inputs=inputs, outputs=outputs, matched=list(matched), digest=digest, actor=actor,
                           reason="rules evaluated")
        self.settle(actor)
        return True

    def may_approve_automatically(self, code: str) -> bool:
        """Whether the system may approve the item on commitment now: its rules say so, it allows commitment,
        it is undecided and not paused, its prerequisites are cleared and its materials present (an excused one
        does not do)."""
        item = self.items[code]
        return (self.status == CaseStatus.OPEN and item.auto_approve and item.commitment_allowed
                and item.status in (ItemStatus.WAITING, ItemStatus.IN_REVIEW)
                and all(self.items[p].status in CLEARED_ITEM_STATUSES for p in item.prerequisites)
                and all(key in self.materials for key in item.materials))

    def approve_automatically(self, code: str, commitment: str, actor: Actor, *, clock: WorkClock) -> None:
        """The system approves the item on the applicant's commitment as its rules allow (秒批): it accepts it
        if it is waiting, then approves it on commitment, which issues its certificates."""
        if not self.may_approve_automatically(code):
            raise errors.WrongItemStatus(f"item {code!r} may not be approved automatically now")
        if self.items[code].status == ItemStatus.WAITING:
            self.accept_item(code, clock.today, clock.is_workday, actor, "accepted by its rules",
                             knows=clock.knows)
        self.approve_on_commitment(code, commitment, actor, "approved at once by its rules (秒批)", clock=clock)

    def revoke_commitment(self, code: str, actor: Actor, reason: str) -> None:
        """Revoke an approval on commitment after a failed verification (also after closing)."""
        item = self.check_item(code)
        if not item.on_commitment or item.revoked:
            raise errors.WrongItemStatus(f"item {code!r} holds no approval on commitment to revoke")
        check_reason(reason)
        self.trigger_event(self.CommitmentRevoked, item=code, actor=actor, reason=reason)
        self.revoke_dependants(actor)
        if self.status == CaseStatus.OPEN:
            self.settle(actor)

    def revoke_dependants(self, actor: Actor) -> None:
        """Revoke every approved item that waits (directly or not) on a revoked one."""
        self.follow_prerequisites(
            affected=lambda item: item.status == ItemStatus.APPROVED, fallen=lambda p: p.revoked,
            event=self.ApprovalRevoked, actor=actor)

    def reject_item(self, code: str, actor: Actor, reason: str) -> None:
        """Reject an item with the reason (before or during review)."""
        item = self._item_in(code, ItemStatus.WAITING, ItemStatus.IN_REVIEW, ItemStatus.SUPPLEMENT_REQUESTED)
        check_reason(reason)
        self.trigger_event(self.ItemRejected, item=code, materials=self.decided_on(item), actor=actor,
                           reason=reason)
        self.settle(actor)

    def issue_certificates(self, code: str, actor: Actor, reason: str = "",
                           today: date | None = None) -> list[dict[str, Any]]:
        """Issue the approved item's certificates with numbers unique to this case: the separate step for
        outputs issued later than approval (``issued_on_approval: false``), and for items approved before
        approval issued them."""
        item = self._item_in(code, ItemStatus.APPROVED)
        if not item.outputs:
            raise errors.NothingToIssue(f"item {code!r} issues no certificate")
        if item.certificates:
            raise errors.CertificatesAlreadyIssued(f"item {code!r} has its certificates")
        rules.check_materials_present(item, self.materials, self.deficiencies, excused_ok=False)
        self._issue(code, actor, reason, today)
        self.settle(actor)
        return [dict(c) for c in self.items[code].certificates]  # released, if the case completed

    def issuable_on_approval(self, item: ItemState) -> bool:
        """Whether approval issues the item's certificates now: it is approved without them, every output is
        issued on approval, and no material it needs is still only excused."""
        return (item.status == ItemStatus.APPROVED and not item.revoked and not item.certificates
                and bool(item.outputs) and all(o.get("issued_on_approval", True) for o in item.outputs)
                and all(key in self.materials for key in item.materials))

    def issue_on_approval(self, code: str, actor: Actor, today: date) -> None:
        """Approving an item issues its certificates at once (held until the case completes), unless one of
        its outputs is issued later or an excused material has not arrived yet."""
        if self.issuable_on_approval(self.items[code]):
            self._issue(code, actor, "issued on approval", today)

    def _issue(self, code: str, actor: Actor, reason: str, today: date | None) -> None:
        item = self.items[code]
        position = list(self.items).index(code) + 1
        certificates = [
            {"number": f"{self.number}-{position:02d}-{k}", "type": o["type"], "name": o["name"],
             "status": CertificateStatus.HELD, **_validity(o, today)}
            for k, o in enumerate(item.outputs, start=1)
        ]
        self.trigger_event(self.CertificatesIssued, item=code, certificates=certificates,
                           actor=actor, reason=reason)

    def settle(self, actor: Actor) -> None:
        """Follow a decision through: close the case if an essential item can no longer be
        approved; else withdraw items whose prerequisite fell; complete when all are finished."""
        if self.lost_essential_item() is None:
            self.withdraw_orphans(actor)
        fatal = self.lost_essential_item()
        items = list(self.items.values())
        if fatal is not None:
            self.trigger_event(self.CaseRejected, actor=actor,
                               reason=f"essential item {fatal.code!r} was {fatal.status}")
        elif all(i.finished for i in items):
            if any(i.status == ItemStatus.APPROVED for i in items):
                self.trigger_event(self.Completed, actor=actor, reason="every item is decided")
            elif all(i.status == ItemStatus.NOT_APPLICABLE for i in items):
                self.trigger_event(self.Completed, actor=actor, reason="no item is needed for this case")
            else:
                self.trigger_event(self.CaseRejected, actor=actor, reason="every item was rejected")

    def lost_essential_item(self) -> ItemState | None:
        """Return an essential item that was rejected or withdrawn while the case is open."""
        lost = (ItemStatus.REJECTED, ItemStatus.WITHDRAWN)
        return next((i for i in self.items.values() if i.essential and i.status in lost), None)

    def withdraw_orphans(self, actor: Actor) -> None:
        """Withdraw every undecided item that waits (directly or not) on a rejected item."""
        lost = (ItemStatus.REJECTED, ItemStatus.WITHDRAWN)
        self.follow_prerequisites(
            affected=lambda item: not item.decided, fallen=lambda p: p.status in lost,
            event=self.ItemWithdrawn, actor=actor)

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

    # Supervision (督办) ---------------------------------------------------------------------------
    def transfer_item(self, code: str, to_department: str, actor: Actor, reason: str) -> None:
        """Pass an undecided item to another department."""
        item = rules.check_undecided(self.status, self.items, code)
        if to_department == item.department:
            raise errors.InvalidValue(f"item {code!r} is already with {to_department!r}")
        check_reason(reason)
        self.trigger_event(self.ItemTransferred, item=code, from_department=item.department,
                           to_department=to_department, actor=actor, reason=reason)

    def reassign_owner(self, owner: str, actor: Actor, reason: str) -> None:
        """Make another officer the case's first-contact owner."""
        rules.check_open(self.status)
        if owner == self.owner:
            raise errors.InvalidValue(f"{owner!r} already owns this case")
        check_reason(reason)
        self.trigger_event(self.OwnerReassigned, owner=owner, actor=actor, reason=reason)

    def assign_item(self, code: str, reviewer: str, actor: Actor, reason: str) -> None:
        """Put an undecided item on one reviewer's desk."""
        item = rules.check_undecided(self.status, self.items, code)
        if not isinstance(reviewer, str) or not reviewer or reviewer == item.assignee:
            raise errors.InvalidValue(f"item {code!r} is on {reviewer!r}'s desk already" if reviewer else
                                      "name the reviewer")
        check_reason(reason)
        self.trigger_event(self.ItemAssigned, item=code, reviewer=reviewer, actor=actor, reason=reason)

    def urge(self, code: str, actor: Actor, reason: str) -> None:
        """Urge the department that holds an undecided item (催办)."""
        rules.check_undecided(self.status, self.items, code)
        check_reason(reason)
        self.trigger_event(self.ItemUrged, item=code, actor=actor, reason=reason)

    def escalate(self, level: int, actor: Actor, reason: str, today: date | None = None) -> int:
        """Put the case under supervision at ``level`` (1 … 3); return the escalation's number."""
        rules.check_open(self.status)
        rules.check_level(level)
        check_reason(reason)
        number = len(self.escalations) + 1
        self.trigger_event(self.EscalationOpened, number=number, level=level, opened_on=today, actor=actor,
                           reason=reason)
        return number

    def raise_escalation(self, number: int, today: date, actor: Actor, reason: str) -> int:
        """Take an open escalation a level up (提级督办); return the new level."""
        rules.check_open(self.status)
        escalation = rules.check_open_escalation(self.escalations, number)
        if escalation.level >= TOP_ESCALATION_LEVEL:
            raise errors.InvalidValue(f"escalation {number} is at the highest level already")
        check_reason(reason)
        self.trigger_event(self.EscalationRaised, number=number, level=escalation.level + 1, raised_on=today,
                           actor=actor, reason=reason)
        return escalation.level  # the new level (the event has been applied)

    def resolve_escalation(self, number: int, actor: Actor, reason: str) -> None:
        """Close escalation ``number`` (also after the case closed)."""
        rules.check_open_escalation(self.escalations, number)
        check_reason(reason)
        self.trigger_event(self.EscalationResolved, number=number, actor=actor, reason=reason)

    # Deadlines -----------------------------------------------------------------------------------
    def check_deadlines(self, today: date, is_workday: IsWorkday, raise_after: int, actor: Actor) -> int:
        """Record the warnings, breaches and escalations due as of ``today`` (``deadlines.due_events``);
        return how many events."""
        due = deadlines.due_events(self.status, self.items.values(), self.escalations, today, is_workday,
                                   raise_after)
        recorded = {deadlines.DeadlineWarning: self.DeadlineWarned, deadlines.DeadlineBreach: self.DeadlineBreached,
                    deadlines.EscalationOpening: self.EscalationOpened,
                    deadlines.EscalationRising: self.EscalationRaised}
        for each in due:
            self.trigger_event(recorded[type(each)], **asdict(each), actor=actor)
        return len(due)


# Shared by the events' ``apply`` (closing a case, an approval falling).
def _went_ahead_without(case: Case, code: str) -> bool:
    """``rules.went_ahead_without`` on the case's items."""
    return rules.went_ahead_without(code, {c: str(i.status) for c, i in case.items.items()},
                                    {c: i.prerequisites for c, i in case.items.items()})


def _validity(output: dict[str, Any], today: date | None) -> dict[str, Any]:
    """A certificate's issue date and validity: from the day of issue, for the output's ``valid_years``
    (to the day before the anniversary) or long-term (长期, ``valid_to`` None)."""
    if today is None:
        return {}
    years = output.get("valid_years")
    valid_to = None
    if years:
        try:
            valid_to = today.replace(year=today.year + years) - timedelta(days=1)
        except ValueError:  # 29 February
            valid_to = today.replace(year=today.year + years, day=28)
    return {"issued_on": today.isoformat(), "valid_from": today.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None}


def _revoke(case: Case, code: str) -> None:
    """Reject an item whose approval fell: its released certificates are revoked, its held ones void."""
    item = case.items[code]
    item.status, item.revoked = ItemStatus.REJECTED, True
    for certificate in item.certificates:  # released ones are revoked; held ones never will be
        certificate["status"] = (CertificateStatus.REVOKED if certificate["status"] == CertificateStatus.VALID
                                 else CertificateStatus.VOID)


def _close(case: Case, status: CaseStatus, closed_at: str) -> None:
    """Close the case: undecided items are withdrawn; held certificates are released or voided."""
    case.status, case.closed_at = status, closed_at
    released = CertificateStatus.VALID if status == CaseStatus.COMPLETED else CertificateStatus.VOID
    for item in case.items.values():
        if not item.decided:
            item.status = ItemStatus.WITHDRAWN
        for certificate in item.certificates:
            if certificate.get("status") == CertificateStatus.HELD:
                certificate["status"] = released
