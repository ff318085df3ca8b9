"""Commands on a case as typed objects, one dataclass per action, and their handlers keyed by class.

Views that take many actions through one address (the API's ``/cases/<id>/items/<item>/<action>``, the case
page's and the supervisor's forms) build a command from what was sent and call ``handle``; each handler is a
named function calling one method of a role service (``CaseApplication.intake``, ``.review``,
``.supervision``), as cosmicpython's ``COMMAND_HANDLERS`` does. A command's own fields (beyond ``actor``,
``case_id``, ``reason`` and ``expected_version``) are named as the request's and the forms' fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from application.common.changes import Saved
from domain.shared.values import Actor

if TYPE_CHECKING:
    from application.cases.application import CaseApplication


@dataclass(frozen=True, kw_only=True)
class CaseCommand:
    """Who acts on which case, why, and on which version of it (``None``: on whatever version it is)."""

    actor: Actor
    case_id: str
    reason: str
    expected_version: int | None


@dataclass(frozen=True, kw_only=True)
class ItemCommand(CaseCommand):
    """A command on one item of the case."""

    item: str


@dataclass(frozen=True, kw_only=True)
class AcceptItem(ItemCommand):
    """Accept an item for review."""


@dataclass(frozen=True, kw_only=True)
class RequestSupplement(ItemCommand):
    """Ask for corrected or additional materials."""

    materials: list[str]


@dataclass(frozen=True, kw_only=True)
class ReceiveSupplement(ItemCommand):
    """Record that the supplement arrived."""


@dataclass(frozen=True, kw_only=True)
class RecordInspection(ItemCommand):
    """Record an inspection of the item."""

    method: str
    passed: bool


@dataclass(frozen=True, kw_only=True)
class ApproveItem(ItemCommand):
    """Approve the item."""


@dataclass(frozen=True, kw_only=True)
class ApproveOnCommitment(ItemCommand):
    """Approve the item on the applicant's signed commitment."""

    commitment: str


@dataclass(frozen=True, kw_only=True)
class RejectItem(ItemCommand):
    """Reject the item."""


@dataclass(frozen=True, kw_only=True)
class IssueCertificates(ItemCommand):
    """Issue the approved item's certificates."""


@dataclass(frozen=True, kw_only=True)
class RevokeCommitment(ItemCommand):
    """Revoke an approval on commitment."""


@dataclass(frozen=True, kw_only=True)
class TransferItem(ItemCommand):
    """Pass the item to another department."""

    to_department: str


@dataclass(frozen=True, kw_only=True)
class Urge(ItemCommand):
    """Urge the department that holds the item."""


@dataclass(frozen=True, kw_only=True)
class AssignItem(ItemCommand):
    """Put the item on one reviewer's desk."""

    reviewer: str


@dataclass(frozen=True, kw_only=True)
class ReassignOwner(CaseCommand):
    """Hand the case to another first-contact owner."""

    owner: str


@dataclass(frozen=True, kw_only=True)
class Escalate(CaseCommand):
    """Put the case under supervision at a level."""

    level: int


@dataclass(frozen=True, kw_only=True)
class RaiseEscalation(CaseCommand):
    """Take an open escalation a level up."""

    number: int


@dataclass(frozen=True, kw_only=True)
class ResolveEscalation(CaseCommand):
    """Close an escalation."""

    number: int


COMMON_FIELDS = frozenset({"actor", "case_id", "expected_version"})


def fields_of(kind: type[CaseCommand]) -> tuple[str, ...]:
    """The fields a command takes from a request or a form: ``reason``, ``item`` and its own."""
    return tuple(f.name for f in dataclasses.fields(kind) if f.name not in COMMON_FIELDS)


def build(kind: type[CaseCommand], actor: Actor, case_id: str, expected_version: int | None,
          values: dict[str, Any]) -> CaseCommand:
    """A command of ``kind`` from the values sent (one per name of ``fields_of(kind)``)."""
    return kind(actor=actor, case_id=case_id, expected_version=expected_version,
                **{name: values[name] for name in fields_of(kind)})


# Handlers: one named function per command -------------------------------------------------------------
def accept_item(cases: CaseApplication, c: AcceptItem) -> Saved:
    return cases.review.accept_item(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def request_supplement(cases: CaseApplication, c: RequestSupplement) -> Saved:
    return cases.review.request_supplement(c.actor, c.case_id, c.item, c.reason, c.materials, c.expected_version)


def receive_supplement(cases: CaseApplication, c: ReceiveSupplement) -> Saved:
    return cases.review.receive_supplement(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def record_inspection(cases: CaseApplication, c: RecordInspection) -> Saved:
    return cases.review.record_inspection(c.actor, c.case_id, c.item, c.method, c.passed, c.reason,
                                          c.expected_version)


def approve_item(cases: CaseApplication, c: ApproveItem) -> Saved:
    return cases.review.approve_item(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def approve_on_commitment(cases: CaseApplication, c: ApproveOnCommitment) -> Saved:
    return cases.review.approve_on_commitment(c.actor, c.case_id, c.item, c.commitment, c.reason,
                                              c.expected_version)


def reject_item(cases: CaseApplication, c: RejectItem) -> Saved:
    return cases.review.reject_item(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def issue_certificates(cases: CaseApplication, c: IssueCertificates) -> Saved:
    return cases.review.issue_certificates(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def revoke_commitment(cases: CaseApplication, c: RevokeCommitment) -> Saved:
    return cases.review.revoke_commitment(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def transfer_item(cases: CaseApplication, c: TransferItem) -> Saved:
    return cases.supervision.transfer_item(c.actor, c.case_id, c.item, c.to_department, c.reason,
                                           c.expected_version)


def urge(cases: CaseApplication, c: Urge) -> Saved:
    return cases.supervision.urge(c.actor, c.case_id, c.item, c.reason, c.expected_version)


def assign_item(cases: CaseApplication, c: AssignItem) -> Saved:
    return cases.supervision.assign_item(c.actor, c.case_id, c.item, c.reviewer, c.reason, c.expected_version)


def reassign_owner(cases: CaseApplication, c: ReassignOwner) -> Saved:
    return cases.intake.reassign_owner(c.actor, c.case_id, c.owner, c.reason, c.expected_version)


def escalate(cases: CaseApplication, c: Escalate) -> Saved:
    return cases.supervision.escalate(c.actor, c.case_id, c.reason, c.level, c.expected_version)


def raise_escalation(cases: CaseApplication, c: RaiseEscalation) -> Saved:
    return cases.supervision.raise_escalation(c.actor, c.case_id, c.number, c.reason, c.expected_version)


def resolve_escalation(cases: CaseApplication, c: ResolveEscalation) -> Saved:
    return cases.supervision.resolve_escalation(c.actor, c.case_id, c.number, c.reason, c.expected_version)


HANDLERS: dict[type[Any], Callable[[CaseApplication, Any], Saved]] = {
    AcceptItem: accept_item, RequestSupplement: request_supplement, ReceiveSupplement: receive_supplement,
    RecordInspection: record_inspection, ApproveItem: approve_item, ApproveOnCommitment: approve_on_commitment,
    RejectItem: reject_item, IssueCertificates: issue_certificates, RevokeCommitment: revoke_commitment,
    TransferItem: transfer_item, Urge: urge, AssignItem: assign_item, ReassignOwner: reassign_owner,
    Escalate: escalate, RaiseEscalation: raise_escalation, ResolveEscalation: resolve_escalation,
}


def handle(cases: CaseApplication, command: CaseCommand) -> Saved:
    """Run the command through its handler."""
    return HANDLERS[type(command)](cases, command)
