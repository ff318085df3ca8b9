"""Cases: open, read (now or as they stood), history, and every command on them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE

from application.cases import commands
from application.common.changes import Saved
from application.common.errors import InvalidInput, NotFound
from application.common.idempotency import Earlier
from domain.shared.values import Role
from web.api.core import (
    actor,
    case_json,
    case_response,
    error_docs,
    file_response,
    if_match,
    services,
)
from web.api.idempotency import idempotent
from web.api.schemas import (
    CaseOut,
    CaseReadArgs,
    DeficiencyRequest,
    ErrorOut,
    EscalationRequest,
    FollowUpArgs,
    FollowUpCloseRequest,
    FollowUpPageOut,
    HistoryEventOut,
    IntakeAcceptRequest,
    IntakeReturnRequest,
    ItemActionRequest,
    MaterialFileOut,
    MaterialRequest,
    OpenCaseRequest,
    OwnerRequest,
    PageArgs,
    PreReviewPageOut,
    RatingRequest,
    ReasonRequest,
    ReuseRequest,
)

blp = Blueprint("cases", __name__, url_prefix="/cases", description="Cases and their commands")
ERRORS = (400, 401, 403, 404, 409, 422)
FORM_OVERHEAD = 1024 * 1024  # the multipart envelope and the reason around an uploaded file


_document_errors = error_docs(blp, ERRORS)


def _write(status: int) -> Any:
    """Document a write's answer: the case after it, with its version as ETag."""
    return blp.alt_response(status, schema=CaseOut, description="the case after the write (ETag: its version)")


def _keyed(status: int) -> Any:
    """Honour ``Idempotency-Key``: a repeat gets the case as the first write left it, with its status."""
    return idempotent(lambda earlier, status, *_, **__: case_response(_saved_of(earlier), status), status)


def _saved_of(earlier: Earlier) -> Saved:
    """What a repeated request's first write returned (its answer's consistency token names that write)."""
    return services().cases.saved_of(earlier)


def _answer(saved: Saved, status: int = 200) -> Response:
    """The case after a write, with its version as ETag."""
    return case_response(saved, status)


@blp.post("")
@blp.arguments(OpenCaseRequest)
@_write(201)
@_document_errors
@_keyed(201)
def open_case(body: dict[str, Any]) -> Response:
    """Open a case at the single window (intake; the caller becomes its first-contact owner), or file one online
    (an applicant: for its enterprise, status ``submitted``, waiting in intake's pre-review)."""
    caller, applicant, channel = actor(), body["applicant"], body["channel"]
    if caller.role == Role.APPLICANT:
        if applicant is not None or channel is not None:
            raise InvalidInput("an applicant files for its own enterprise, online: send no applicant or channel",
                               {"applicant": ["not sent by an applicant"], "channel": ["not sent by an applicant"]})
        return _answer(services().cases.online.file(caller, body["bundle"], body["answers"], body["reason"]), 201)
    if applicant is None or channel is None:
        missing = [name for name, value in (("applicant", applicant), ("channel", channel)) if value is None]
        raise InvalidInput(f"{', '.join(missing)}: required", {name: ["required"] for name in missing})
    saved = services().cases.intake.open_case(caller, body["bundle"], applicant["name"], applicant["credit_code"],
                                              channel, reason=body["reason"], answers=body["answers"])
    return _answer(saved, 201)


@blp.post("/<string:case_id>/intake/accept")
@blp.arguments(IntakeAcceptRequest)
@_write(200)
@_document_errors
@_keyed(200)
def accept_filing(body: dict[str, Any], case_id: str) -> Response:
    """Accept an online filing waiting in pre-review (受理, intake): the case is open, the caller its owner."""
    return _answer(services().cases.intake.accept_filing(actor(), case_id, body["reason"], if_match()))


@blp.post("/<string:case_id>/intake/return")
@blp.arguments(IntakeReturnRequest)
@_write(200)
@_document_errors
@_keyed(200)
def return_filing(body: dict[str, Any], case_id: str) -> Response:
    """Return an online filing once, listing every material missing (一次性告知, intake); when each has a new
    version the filing is back in pre-review by itself."""
    return _answer(services().cases.intake.return_filing(actor(), case_id, body["missing"], body["reason"],
                                                         if_match()))


@blp.get("/pre-review")
@blp.arguments(PageArgs, location="query", unknown=RAISE)
@blp.response(200, PreReviewPageOut)
@_document_errors
def pre_review(args: dict[str, Any]) -> dict[str, Any]:
    """Online filings not yet accepted, the longest waiting first, with their working days waited and the last
    day intake may answer (intake, supervisors)."""
    who = actor()
    found = services().online_queries.pre_review(who, args["page"], args["per_page"])
    return {"filings": found.rows, "total": found.total, "page": found.page, "per_page": found.per_page}


@blp.post("/<string:case_id>/rating/follow-up")
@blp.arguments(FollowUpCloseRequest)
@_write(200)
@_document_errors
@_keyed(200)
def close_follow_up(body: dict[str, Any], case_id: str) -> Response:
    """Close the follow-up a poor rating opened (差评整改, supervisor), recording the return visit (回访)."""
    return _answer(services().cases.supervision.close_follow_up(actor(), case_id, body["return_visit"],
                                                                body["reason"], if_match()))


@blp.get("/follow-ups")
@blp.arguments(FollowUpArgs, location="query", unknown=RAISE)
@blp.response(200, FollowUpPageOut)
@_document_errors
def follow_ups(args: dict[str, Any]) -> dict[str, Any]:
    """Poor ratings' follow-ups, the earliest due first, each saying whether it is overdue (supervisors,
    auditors)."""
    who = actor()
    found = services().online_queries.follow_ups(who, args["state"], args["page"], args["per_page"])
    return {"follow_ups": found.rows, "total": found.total, "page": found.page, "per_page": found.per_page}


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
    body["chain_head"] = None if actor().role == Role.APPLICANT else reads.chain_head(case.id, case.version)
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
    """Withdraw the case (intake; an applicant, its own enterprise's)."""
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
    """Record the applicant's rating of a closed case (好差评: intake, or the applicant itself); a rating of 1 or 2
    opens a follow-up a supervisor closes within 15 working days."""
    return _answer(services().cases.intake.rate(actor(), case_id, body["score"], body["comment"], if_match()))


# Materials as files ----------------------------------------------------------------------------------------
def _upload_limit() -> None:
    """Let this request carry a file up to ``ONETHING_MAX_UPLOAD_MB`` (and the form around it); werkzeug spools
    the file part to disk as it arrives, so memory stays flat."""
    request.max_content_length = services().materials.max_bytes + FORM_OVERHEAD


@blp.post("/<string:case_id>/materials/<string:key>/files")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}, "reason": {"type": "string"}}}}}})
@blp.alt_response(201, schema=MaterialFileOut, description="the new version of the material")
@blp.alt_response(413, schema=ErrorOut, description="larger than ONETHING_MAX_UPLOAD_MB; nothing recorded")
@blp.alt_response(415, schema=ErrorOut, description="not PDF, JPEG, PNG or OFD (by content); nothing recorded")
@_document_errors
@idempotent(lambda earlier, status, case_id, key: _file_answer(_saved_of(earlier), key, status), 201,
            body=lambda: _upload_chunks())
def upload_material_file(case_id: str, key: str) -> Response:
    """Store one file as the next version of material ``key`` (intake; the case's applicant): multipart
    ``file`` and optional ``reason``. Its type is decided by its content. 201 with the new version; 200 with
    the latest one when these very bytes are it already (nothing recorded)."""
    _upload_limit()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("send the file as the multipart field 'file'", {"file": ["required"]})
    reason = request.form.get("reason", "")
    saved = services().materials.upload(actor(), case_id, key, upload.stream, upload.filename, reason, if_match())
    return _file_answer(saved, key, 201 if saved.result else 200)  # 200: the same bytes were the latest version


@blp.post("/<string:case_id>/materials/<string:key>/reuse")
@blp.arguments(ReuseRequest)
@blp.alt_response(201, schema=MaterialFileOut, description="the new version, from the vault or an e-licence")
@_document_errors
@idempotent(lambda earlier, status, body, case_id, key: _file_answer(_saved_of(earlier), key, status), 201)
def reuse_material(body: dict[str, Any], case_id: str, key: str) -> Response:
    """Use a file of the applicant's vault (``{"sha256"}``) or an e-licence it holds (``{"licence"}``) as the
    next version of material ``key``: 404 if the vault has no such file, 409 if the licence is not valid now."""
    materials, who = services().materials, actor()
    if body.get("sha256"):
        saved = materials.reuse_file(who, case_id, key, body["sha256"], body["reason"], if_match())
    else:
        saved = materials.reuse_licence(who, case_id, key, body["licence"], body["reason"], if_match())
    return _file_answer(saved, key, 201 if saved.result else 200)  # 200: these very bytes are the latest version


def _upload_chunks() -> Iterator[bytes]:
    """An upload's content for its Idempotency-Key digest: the form's text fields, then the file (read from
    its spooled copy in chunks, then rewound for the view)."""
    _upload_limit()
    for name in sorted(request.form):
        yield f"{name}={request.form[name]}\n".encode()
    upload = request.files.get("file")
    if upload is not None:
        yield f"file={upload.filename}\n".encode()
        for chunk in iter(lambda: upload.stream.read(1024 * 1024), b""):
            yield chunk
        upload.stream.seek(0)


def _file_answer(saved: Saved, key: str, status: int) -> Response:
    """The material's latest version after the write, with the case's version as ETag."""
    case = services().cases.reads.as_saved(saved.id, saved.version)
    files = case.materials[key].files
    response = jsonify(MaterialFileOut().dump({"key": key, **files[-1].to_dict()}))
    response.status_code = status
    response.headers["ETag"] = f'"{case.version}"'
    response.headers["Location"] = url_for("cases.material_file", case_id=str(case.id), key=key,
                                           version=files[-1].version)
    return response


@blp.get("/<string:case_id>/materials/<string:key>/files/<int:version>")
@blp.response(200, description="the file's bytes (Content-Type from its content)")
@_document_errors
def material_file(case_id: str, key: str, version: int) -> Response:
    """The bytes of one version of a material, for whoever may read the case: shown inline (``?download=1``:
    as an attachment), with the UTF-8 file name, ``ETag`` = its sha256, ``nosniff`` and a sandbox CSP."""
    found, stream = services().materials.file(actor(), case_id, key, version)
    return file_response(found.filename, found.media_type, found.sha256, found.size, stream,
                         download=request.args.get("download") == "1")
