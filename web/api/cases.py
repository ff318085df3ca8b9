"""Cases: open, read (now or as they stood), history, and every command on them."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint
from marshmallow import RAISE

from application.cases import commands
from application.common.changes import Saved
from application.common.errors import InvalidInput, NotFound
from application.common.idempotency import Earlier
from web.api.core import actor, case_json, case_response, error_docs, if_match, last_writes, services
from web.api.idempotency import idempotent
from web.api.schemas import (
    CaseOut,
    CaseReadArgs,
    DeficiencyRequest,
    EscalationRequest,
    HistoryEventOut,
    ItemActionRequest,
    MaterialRequest,
    OpenCaseRequest,
    OwnerRequest,
    RatingRequest,
    ReasonRequest,
)

blp = Blueprint("cases", __name__, url_prefix="/cases", description="Cases and their commands")
ERRORS = (400, 401, 403, 404, 409, 422)


_document_errors = error_docs(blp, ERRORS)


def _write(status: int) -> Any:
    """Document a write's answer: the case after it, with its version as ETag."""
    return blp.alt_response(status, schema=CaseOut, description="the case after the write (ETag: its version)")


def _keyed(status: int) -> Any:
    """Honour ``Idempotency-Key``: a repeat gets the case as the first write left it, with its status."""
    return idempotent(lambda earlier, status, *_, **__: case_response(_saved_of(earlier), status), status)


def _saved_of(earlier: Earlier) -> Saved:
    """What a repeated request's first write returned; its caller's next read includes it, as after the first."""
    saved = services().cases.saved_of(earlier)
    last_writes().record(actor().user_id, saved.notification_id)
    return saved


def _answer(saved: Saved, status: int = 200) -> Response:
    """The case after a write, with its version as ETag; remembered for read-your-writes."""
    last_writes().record(actor().user_id, saved.notification_id)
    return case_response(saved, status)


@blp.post("")
@blp.arguments(OpenCaseRequest)
@_write(201)
@_document_errors
@_keyed(201)
def open_case(body: dict[str, Any]) -> Response:
    """Open a case at the single window (intake); the caller becomes its first-contact owner."""
    applicant = body["applicant"]
    saved = services().cases.intake.open_case(actor(), body["bundle"], applicant["name"], applicant["credit_code"],
                                       body["channel"], reason=body["reason"])
    return _answer(saved, 201)


@blp.get("/<string:case_id>")
@blp.arguments(CaseReadArgs, location="query", unknown=RAISE)
@blp.response(200, CaseOut)
@_document_errors
def read_case(args: dict[str, Any], case_id: str) -> Response:
    """The case now, or at ``?version=N``, or as it stood at ``?as_of=`` (ISO 8601 with offset)."""
    reads = services().cases.reads
    if "as_of" in args:
        case = reads.case_as_of(actor(), case_id, args["as_of"])
    else:
        case = reads.get_case(actor(), case_id, args.get("version"))
    body: dict[str, Any] = {}  # a past state comes with what applied then (its due date: as of its own day)
    if "as_of" in args or "version" in args:
        body["then"] = reads.context_then(case, args.get("as_of") or case.modified_on)
    body["chain_head"] = reads.chain_head(case.id, case.version)
    response = jsonify(CaseOut().dump({**case_json(case), **body}))
    response.headers["ETag"] = f'"{case.version}"'
    return response


@blp.get("/<string:case_id>/history")
@blp.response(200, HistoryEventOut(many=True))
@_document_errors
def history(case_id: str) -> list[dict[str, Any]]:
    """Every event of the case: position, type, time, actor, reason, data."""
    return services().cases.reads.history(actor(), case_id)


@blp.post("/<string:case_id>/materials")
@blp.arguments(MaterialRequest)
@_write(200)
@_document_errors
@_keyed(200)
def submit_material(body: dict[str, Any], case_id: str) -> Response:
    """Record a submitted material (intake)."""
    return _answer(services().cases.intake.submit_material(
        actor(), case_id, body["key"], body["filename"], body["sha256"], body["reason"], if_match()))


@blp.post("/<string:case_id>/deficiency")
@blp.arguments(DeficiencyRequest)
@_write(200)
@_document_errors
@_keyed(200)
def accept_with_deficiency(body: dict[str, Any], case_id: str) -> Response:
    """Accept the case although excusable materials are missing (容缺受理, intake)."""
    return _answer(services().cases.intake.accept_with_deficiency(
        actor(), case_id, body["missing"], body["supplement_due"], body["reason"], if_match()))


ITEM_COMMANDS: dict[str, type[commands.ItemCommand]] = {  # the last part of the address: which command
    "accept": commands.AcceptItem, "request-supplement": commands.RequestSupplement,
    "supplement": commands.ReceiveSupplement, "inspect": commands.RecordInspection, "approve": commands.ApproveItem,
    "commit": commands.ApproveOnCommitment, "reject": commands.RejectItem, "issue": commands.IssueCertificates,
    "revoke": commands.RevokeCommitment, "transfer": commands.TransferItem, "urge": commands.Urge,
    "assign": commands.AssignItem,
}


@blp.post("/<string:case_id>/items/<string:item>/<string:action>")
@blp.arguments(ItemActionRequest)
@_write(200)
@_document_errors
@_keyed(200)
def item_action(body: dict[str, Any], case_id: str, item: str, action: str) -> Response:
    """A reviewer's command on an item: accept, request-supplement, supplement, inspect, approve, commit,
    reject, issue, revoke, transfer (supervisors may also revoke and transfer, urge: 催办, and assign to a
    reviewer: {"reviewer"})."""
    kind = ITEM_COMMANDS.get(action)
    if action == "inspect" and body["passed"] is None:
        raise InvalidInput("passed: say whether the inspection passed", {"passed": ["required for inspect"]})
    if kind is None:
        raise NotFound(f"no item action {action!r}; one of {', '.join(ITEM_COMMANDS)}")
    command = commands.build(kind, actor(), case_id, if_match(), {**body, "item": item})
    return _answer(commands.handle(services().cases, command))


@blp.post("/<string:case_id>/escalations")
@blp.arguments(EscalationRequest)
@_write(201)
@_document_errors
@_keyed(201)
def escalate(body: dict[str, Any], case_id: str) -> Response:
    """Put the case under supervision (supervisor)."""
    supervision = services().cases.supervision
    return _answer(supervision.escalate(actor(), case_id, body["reason"], body["level"], if_match()), 201)


@blp.post("/<string:case_id>/escalations/<int:number>/resolve")
@blp.arguments(ReasonRequest)
@_write(200)
@_document_errors
@_keyed(200)
def resolve(body: dict[str, Any], case_id: str, number: int) -> Response:
    """Close escalation ``number`` (supervisor)."""
    supervision = services().cases.supervision
    return _answer(supervision.resolve_escalation(actor(), case_id, number, body["reason"], if_match()))


@blp.post("/<string:case_id>/escalations/<int:number>/raise")
@blp.arguments(ReasonRequest)
@_write(200)
@_document_errors
@_keyed(200)
def raise_escalation(body: dict[str, Any], case_id: str, number: int) -> Response:
    """Take an open escalation a level up (提级督办, supervisor)."""
    return _answer(services().cases.supervision.raise_escalation(actor(), case_id, number, body["reason"], if_match()))


@blp.post("/<string:case_id>/withdraw")
@blp.arguments(ReasonRequest)
@_write(200)
@_document_errors
@_keyed(200)
def withdraw(body: dict[str, Any], case_id: str) -> Response:
    """Withdraw the case (intake)."""
    return _answer(services().cases.intake.withdraw(actor(), case_id, body["reason"], if_match()))


@blp.post("/<string:case_id>/owner")
@blp.arguments(OwnerRequest)
@_write(200)
@_document_errors
@_keyed(200)
def reassign(body: dict[str, Any], case_id: str) -> Response:
    """Hand the case to another first-contact owner (the owner or a supervisor)."""
    return _answer(services().cases.intake.reassign_owner(actor(), case_id, body["owner"], body["reason"], if_match()))


@blp.post("/<string:case_id>/rating")
@blp.arguments(RatingRequest)
@_write(200)
@_document_errors
@_keyed(200)
def rate(body: dict[str, Any], case_id: str) -> Response:
    """Record the applicant's rating of a closed case (intake)."""
    return _answer(services().cases.intake.rate(actor(), case_id, body["score"], body["comment"], if_match()))
