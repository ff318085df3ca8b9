"""The events of a case. Each ``apply`` only records what happened; the rules live in ``Case``.

``apply`` runs again on every replay: it reads nothing but the event and the case.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.case.state import Escalation
from domain.shared.recorded import Created, Recorded
from domain.shared.values import CaseStatus, ItemStatus

if TYPE_CHECKING:
    from domain.case.aggregate import Case


class Opened(Created):
    """The case was opened at the single window for one published bundle version."""

    number: str
    bundle: str
    bundle_version: int
    applicant: dict
    channel: str
    opened_on: date
    items: list
    materials: list


class ItemEvent(Recorded):
    """An event about one item of the case."""

    item: str


class MaterialSubmitted(Recorded):
    """A material was submitted (once, for every item that needs it)."""

    key: str
    filename: str
    sha256: str

    def apply(self, case: Case) -> None:
        case.materials[self.key] = {
            "filename": self.filename, "sha256": self.sha256,
            "submitted_at": self.timestamp.isoformat(), "by": self.actor.user_id,
        }
        case.deficiencies.pop(self.key, None)


class AcceptedWithDeficiency(Recorded):
    """The case was accepted although these materials are missing; they are due later."""

    missing: list
    supplement_due: date

    def apply(self, case: Case) -> None:
        for key in self.missing:
            case.deficiencies[key] = self.supplement_due


class ItemAccepted(ItemEvent):
    """The item's department accepted it for review; its clock starts."""

    class_version = 2
    accepted_on: date
    due: date
    due_provisional: bool  # the due date lies in a year whose holidays the calendar does not know yet

    @staticmethod
    def upcast_v1_v2(state: dict) -> None:
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

    materials: list
    paused_on: date

    def apply(self, case: Case) -> None:
        item = case.items[self.item]
        item.status, item.paused_on = ItemStatus.SUPPLEMENT_REQUESTED, self.paused_on


class SupplementReceived(ItemEvent):
    """The supplement arrived; review goes on with the due date moved by the pause."""

    class_version = 2
    due: date
    due_provisional: bool

    @staticmethod
    def upcast_v1_v2(state: dict) -> None:
        """Version 1 did not say whether the due date was provisional."""
        state["due_provisional"] = False

    def apply(self, case: Case) -> None:
        item = case.items[self.item]
        item.status, item.paused_on, item.due = ItemStatus.IN_REVIEW, None, self.due
        item.due_provisional = self.due_provisional


class InspectionRecorded(ItemEvent):
    """An on-site or video inspection of the item took place."""

    method: str
    passed: bool

    def apply(self, case: Case) -> None:
        case.items[self.item].inspection_passed = self.passed


class ItemApproved(ItemEvent):
    """The item was approved on review."""

    def apply(self, case: Case) -> None:
        case.items[self.item].status = ItemStatus.APPROVED


class ItemApprovedOnCommitment(ItemEvent):
    """The item was approved at once on the applicant's signed commitment (告知承诺)."""

    commitment: str

    def apply(self, case: Case) -> None:
        item = case.items[self.item]
        item.status, item.on_commitment = ItemStatus.APPROVED, True


def _revoke(case: Case, code: str) -> None:
    item = case.items[code]
    item.status, item.revoked = ItemStatus.REJECTED, True
    for certificate in item.certificates:  # released ones are revoked; held ones never will be
        certificate["status"] = "revoked" if certificate["status"] == "valid" else "void"


class CommitmentRevoked(ItemEvent):
    """A later verification found the commitment untrue: the approval and certificates fall."""

    def apply(self, case: Case) -> None:
        _revoke(case, self.item)


class ApprovalRevoked(ItemEvent):
    """An approved item fell with a prerequisite whose approval was revoked."""

    def apply(self, case: Case) -> None:
        _revoke(case, self.item)


class ItemRejected(ItemEvent):
    """The item was rejected, with the reason."""

    def apply(self, case: Case) -> None:
        case.items[self.item].status = ItemStatus.REJECTED


class CertificatesIssued(ItemEvent):
    """The item's certificates were issued (released to the applicant when the case completes)."""

    certificates: list

    def apply(self, case: Case) -> None:
        case.items[self.item].certificates = [dict(c) for c in self.certificates]


class ItemWithdrawn(ItemEvent):
    """The item can no longer be approved (a prerequisite was rejected), so it was withdrawn."""

    def apply(self, case: Case) -> None:
        case.items[self.item].status = ItemStatus.WITHDRAWN


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


def _close(case: Case, status: CaseStatus, closed_at: str) -> None:
    """Close the case: undecided items are withdrawn; held certificates are released or voided."""
    case.status, case.closed_at = status, closed_at
    released = "valid" if status == CaseStatus.COMPLETED else "void"
    for item in case.items.values():
        if not item.decided:
            item.status = ItemStatus.WITHDRAWN
        for certificate in item.certificates:
            if certificate.get("status") == "held":
                certificate["status"] = released


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


class OwnerReassigned(Recorded):
    """Another officer became the case's first-contact owner."""

    owner: str

    def apply(self, case: Case) -> None:
        case.owner = self.owner


class EscalationOpened(Recorded):
    """The case was put under supervision (督办) at a level, by a supervisor or by a breach."""

    class_version = 2
    number: int
    level: int
    opened_on: date | None  # the business day; None for events recorded before version 2

    @staticmethod
    def upcast_v1_v2(state: dict) -> None:
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


class Rated(Recorded):
    """The applicant rated the service (好差评) after the case closed."""

    score: int
    comment: str

    def apply(self, case: Case) -> None:
        case.rating = {"score": self.score, "comment": self.comment}
