"""The reviewer's actions on an item of the case page: which are offered, what each form asks, what it runs.

The page offers an action only where the application would allow it (the item is held by the reviewer's
department, not assigned to a colleague, in a status the action needs); the application still decides, so an
action forced by hand is refused there (``application.common.access.require_item_reviewer`` and the case's rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from application.cases import commands
from application.cases.views import CaseView, ItemView
from application.common.changes import Saved
from application.common.errors import NotAllowed, VersionConflict
from domain.catalogue.definitions import INSPECTION_METHODS
from domain.shared import errors as rules
from domain.shared.text import MAX_TEXT
from domain.shared.values import Actor, CaseStatus, ItemStatus, Role

if TYPE_CHECKING:
    from application.cases.application import CaseApplication

Form = dict[str, Any]
UNDECIDED = (ItemStatus.WAITING, ItemStatus.IN_REVIEW, ItemStatus.SUPPLEMENT_REQUESTED)


@dataclass(frozen=True)
class ItemAction:
    """One action a reviewer may take on an item: its words, the fields it asks, when it is offered, the command
    it sends."""

    name: str  # the last part of its address: /cases/<id>/items/<code>/<name>
    label: Any
    done: Any  # the flash after it succeeded
    statuses: tuple[ItemStatus, ...]
    command: type[commands.ItemCommand]
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    when: Callable[[CaseView, ItemView], bool] = lambda case, item: True
    open_case_only: bool = True

    def allows(self, case: CaseView, item: ItemView) -> bool:
        """Whether the item's status (and the case's) lets this action be taken now."""
        if self.open_case_only and case.status != CaseStatus.OPEN:
            return False
        return item.status in self.statuses and self.when(case, item)

    def run(self, cases: CaseApplication, actor: Actor, case_id: str, item: str, form: Form, version: int) -> Saved:
        """Send this action's command, with the values read from its form (``read_form``)."""
        values = {**form, "item": item, "reason": _reason(form), "passed": form.get("passed") == "yes"}
        return commands.handle(cases, commands.build(self.command, actor, case_id, version, values))


def _may_approve(case: CaseView, item: ItemView) -> bool:
    return item.prerequisites_met and (not item.inspection or item.inspection_passed is True)


def _reason(form: Form) -> str:
    return str(form.get("reason", ""))


ACTIONS: dict[str, ItemAction] = {action.name: action for action in (
    ItemAction("accept", _l("Accept"), _l("The item was accepted; its clock is running."), (ItemStatus.WAITING,),
               commands.AcceptItem),
    ItemAction("request-supplement", _l("Request a supplement"),
               _l("The supplement was requested; the item's clock is paused."), (ItemStatus.IN_REVIEW,),
               commands.RequestSupplement,
               fields=("materials", "reason"), required=("reason",)),
    ItemAction("receive-supplement", _l("Supplement received"),
               _l("The supplement was recorded; the item's clock runs again."), (ItemStatus.SUPPLEMENT_REQUESTED,),
               commands.ReceiveSupplement),
    ItemAction("inspect", _l("Record an inspection"), _l("The inspection was recorded."), (ItemStatus.IN_REVIEW,),
               commands.RecordInspection,
               fields=("method", "passed", "reason"), required=("method", "passed")),
    ItemAction("approve", _l("Approve"), _l("The item was approved."), (ItemStatus.IN_REVIEW,),
               commands.ApproveItem,
               fields=("reason",), required=("reason",), when=_may_approve),
    ItemAction("approve-on-commitment", _l("Approve on commitment"),
               _l("The item was approved on the applicant's commitment."), (ItemStatus.IN_REVIEW,),
               commands.ApproveOnCommitment,
               fields=("commitment", "reason"), required=("commitment", "reason"),
               when=lambda case, item: item.commitment_allowed and item.prerequisites_met),
    ItemAction("reject", _l("Reject"), _l("The item was rejected."), UNDECIDED,
               commands.RejectItem,
               fields=("reason",), required=("reason",)),
    ItemAction("issue-certificates", _l("Issue certificates"),
               _l("The certificates were issued; they are released when the whole case completes."),
               (ItemStatus.APPROVED,),
               commands.IssueCertificates,
               when=lambda case, item: bool(item.outputs) and not item.certificates),
    ItemAction("revoke-commitment", _l("Revoke the approval on commitment"),
               _l("The approval on commitment was revoked."), (ItemStatus.APPROVED,),
               commands.RevokeCommitment,
               fields=("reason",), required=("reason",),
               when=lambda case, item: item.on_commitment and not item.revoked, open_case_only=False),
    ItemAction("transfer", _l("Transfer to another department"), _l("The item was transferred."), UNDECIDED,
               commands.TransferItem,
               fields=("to_department", "reason"), required=("to_department", "reason")),
)}


def holds(actor: Actor, item: ItemView) -> bool:
    """Whether the actor reviews ``item`` now: a reviewer of its department, and it is not on a colleague's desk."""
    return (actor.role == Role.REVIEWER and actor.department == item.department
            and (not item.assignee or item.assignee == actor.user_id))


def offered(actor: Actor, case: CaseView, item: ItemView) -> list[ItemAction]:
    """The actions the page offers the actor on ``item`` now (none to anyone but the reviewer holding it)."""
    if not holds(actor, item):
        return []
    return [action for action in ACTIONS.values() if action.allows(case, item)]


# Reading a form ------------------------------------------------------------------------------------
FIELD_MISSING = {
    "reason": _l("Give a reason: it is recorded with the decision."),
    "commitment": _l("Enter the text of the applicant's signed commitment."),
    "method": _l("Choose how the inspection was made."),
    "passed": _l("Say whether the item passed the inspection."),
    "to_department": _l("Choose the department to transfer the item to."),
}
FIELD_INVALID = {
    "reason": _l("A reason has at most 2000 characters."),
    "commitment": _l("A commitment has at most 2000 characters."),
    "method": _l("Choose how the inspection was made."),
    "passed": _l("Say whether the item passed the inspection."),
    "materials": _l("Choose materials of this case's bundle."),
    "to_department": _l("Choose a known department other than the item's own."),
}


def read_form(action: ItemAction, form: Any) -> tuple[Form, dict[str, Any]]:
    """The action's values from a posted form, and the errors of fields left empty or out of range."""
    values: Form = {"materials": [str(key) for key in form.getlist("materials")]}
    for name in ("reason", "commitment", "method", "passed", "to_department"):
        values[name] = str(form.get(name, "")).strip()
    problems: dict[str, Any] = {}
    for name in action.required:
        if not values.get(name):
            problems[name] = FIELD_MISSING[name]
    for name in ("reason", "commitment"):
        if len(values[name]) > MAX_TEXT:
            problems[name] = FIELD_INVALID[name]
    if "method" in action.fields and values["method"] and values["method"] not in INSPECTION_METHODS:
        problems["method"] = FIELD_INVALID["method"]
    if "passed" in action.fields and values["passed"] and values["passed"] not in ("yes", "no"):
        problems["passed"] = FIELD_INVALID["passed"]
    return values, problems


# The application's refusals, in words ---------------------------------------------------------------
STALE = _l("The case changed since you opened it — reload the page to see it as it is now, then try again. "
           "Nothing was saved.")
REFUSALS: tuple[tuple[type[Exception], Any], ...] = (  # the first matching class gives the words
    (NotAllowed, _l("You may not do this: the item is not held by your department, or it is on another "
                    "reviewer's desk. Nothing was saved.")),
    (VersionConflict, STALE),
    (rules.CaseClosed, _l("The case is closed; nothing more can be done to it.")),
    (rules.ItemAlreadyDecided, _l("This item has been decided already.")),
    (rules.WrongItemStatus, _l("The item's status does not allow this now. Reload the page and look again.")),
    (rules.PrerequisiteNotMet, _l("This item waits for the approval of its prerequisites.")),
    (rules.MaterialsMissing, _l("Materials this item needs have not been submitted yet.")),
    (rules.InspectionRequired, _l("This item needs a passed inspection before it can be approved.")),
    (rules.CommitmentNotAllowed, _l("This item cannot be approved on commitment.")),
    (rules.CertificatesAlreadyIssued, _l("This item's certificates have been issued already.")),
    (rules.NothingToIssue, _l("This item issues no certificate.")),
    (rules.UnknownItem, _l("This case has no such item.")),
    (rules.InvalidValue, _l("The case does not accept what was entered for this action.")),
)
INVALID = _l("Some of what you entered is not valid; the fields marked below say why.")
REFUSED = _l("This cannot be done now: a rule of the case does not allow it.")
ERROR_FIELDS = {  # an error of the case or of the application that names one input of the form
    rules.ReasonRequired: "reason", rules.UnknownMaterial: "materials",
}


def refusal(error: Exception) -> tuple[Any, dict[str, Any]]:
    """The words for an application's refusal, and the form fields it names (with their own words)."""
    for kind, field in ERROR_FIELDS.items():
        if isinstance(error, kind):
            return INVALID, {field: FIELD_MISSING.get(field) or FIELD_INVALID[field]}
    fields = getattr(error, "fields", None) or {}
    named = {name: FIELD_INVALID[name] for name in fields if name in FIELD_INVALID}
    if named:
        return INVALID, named
    for refused, words in REFUSALS:
        if isinstance(error, refused):
            return words, {}
    return REFUSED, {}
