"""The auditor's API: verify the record, checkpoints and inclusion proofs, diffs, exports (auditors only)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from web.api.core import actor, error_docs, services

blp = Blueprint("audit", __name__, description="Verify the record, checkpoints, diffs and exports (auditors)")
ERRORS = (400, 401, 403, 404, 422)


_document_errors = error_docs(blp, ERRORS)


class VerifyArgs(Schema):
    case = fields.UUID(metadata={"description": "check one case instead of every aggregate"})


class BrokenOut(Schema):
    case = fields.String(metadata={"description": "the aggregate's id (a case id for application Cases)"})
    application = fields.String()
    position = fields.Integer(metadata={"description": "the first bad version in the aggregate's history"})
    problem = fields.String()


class VerifyOut(Schema):
    ok = fields.Boolean()
    cases_checked = fields.Integer()
    events_checked = fields.Integer()
    aggregates_checked = fields.Integer()
    broken = fields.List(fields.Nested(BrokenOut))
    checkpoints_checked = fields.Integer()
    checkpoint_problems = fields.List(fields.String())
    not_yet_logged = fields.Integer()


class CheckpointOut(Schema):
    size = fields.Integer()
    root = fields.String()
    timestamp = fields.String()
    key_id = fields.String()
    signature = fields.String()


class ProofArgs(Schema):
    case = fields.UUID(required=True)
    size = fields.Integer(validate=validate.Range(min=1), metadata={"description": "a checkpoint's size "
                                                                                   "(default: the latest)"})


class DiffArgs(Schema):
    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1))
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1))


class ExportArgs(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "pdf"]))


@blp.get("/audit/verify")
@blp.arguments(VerifyArgs, location="query", unknown=RAISE)
@blp.response(200, VerifyOut)
@_document_errors
def verify(args: dict[str, Any]) -> dict[str, Any]:
    """Re-read the stored events: every hash chain, the audit log and the signed checkpoints."""
    return services().audit.verify(actor(), args.get("case"))


@blp.get("/audit/checkpoints")
@blp.response(200, CheckpointOut(many=True))
@_document_errors
def checkpoints() -> list[dict[str, Any]]:
    """Every signed checkpoint of the audit log (size, Merkle root, time, key id, signature)."""
    return services().audit.checkpoints(actor())


@blp.get("/audit/proof")
@blp.arguments(ProofArgs, location="query", unknown=RAISE)
@blp.response(200)
@_document_errors
def proof(args: dict[str, Any]) -> dict[str, Any]:
    """Inclusion proofs that each event of one case is in a signed checkpoint, revealing no other case
    (check offline: ``python verifier.py public_key.pem --proof proof.json``)."""
    return services().audit.case_proof(actor(), args["case"], args.get("size"))


@blp.get("/cases/<string:case_id>/diff")
@blp.arguments(DiffArgs, location="query", unknown=RAISE)
@blp.response(200)
@_document_errors
def diff(args: dict[str, Any], case_id: str) -> dict[str, Any]:
    """What changed between two versions of a case: items, materials, owner, escalations, in words too."""
    return services().cases.reads.diff(actor(), case_id, args["from_version"], args["to_version"])


@blp.get("/cases/<string:case_id>/export")
@blp.arguments(ExportArgs, location="query", unknown=RAISE)
@blp.response(200)
@_document_errors
def export(args: dict[str, Any], case_id: str) -> Response:
    """One case's history with its hashes and verify result, as JSON, CSV or a PDF report (auditors)."""
    body, media_type = services().audit.export(actor(), case_id, args["format"])
    response = Response(body, mimetype=media_type.split(";")[0], content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="case-{case_id}.{args["format"]}"'
    return response
