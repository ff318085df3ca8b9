"""What anyone may read: the published bundles (any signed-in user) and certificate checks (no token)."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from flask import Response, request, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from application.common.errors import InvalidInput
from web.api.core import actor, error_docs, file_response, services
from web.api.schemas import BundleOut, ErrorOut, RoadmapArgs, RoadmapOut
from web.public_limits import certificate_check

blp = Blueprint("catalogue", __name__, description="Bundles and certificate verification")


@blp.get("/bundles")
@blp.response(200, BundleOut(many=True))
@blp.alt_response(401, schema=ErrorOut)
def bundles() -> list[dict[str, Any]]:
    """Published bundles, latest versions, with their items."""
    actor()
    return [{"code": row["code"], "version": row["version"], **json.loads(row["definition"])}
            for row in services().queries.published_bundles()]


@blp.get("/bundles/<string:code>/roadmap")
@blp.arguments(RoadmapArgs, location="query", unknown=RAISE)
@blp.response(200, RoadmapOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(404, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
def roadmap(args: dict[str, Any], code: str) -> Any:
    """The bundle's items in prerequisite order with earliest dates, critical path, earliest completion."""
    actor()
    answers = None
    if "answers" in args:
        try:
            answers = json.loads(args["answers"])
        except ValueError:
            raise InvalidInput("answers: a JSON object", {"answers": ["a JSON object"]}) from None
    return services().roadmaps.roadmap(code, args.get("start"), answers)


class CertificateHolderOut(Schema):
    name = fields.String(metadata={"description": "the holder's name"})
    credit_code_masked = fields.String(metadata={"description": "the holder's unified social credit code with "
                                                                "all but its first and last four characters "
                                                                "hidden, e.g. 9111**********341L"})


class SignatureOut(Schema):
    alg = fields.String(metadata={"description": "Ed25519"})
    key_id = fields.String(metadata={"description": "the e-licence key's published id"})
    value = fields.String(metadata={"description": "base64 signature over the canonical JSON of metadata"})


class CertificateCheckOut(Schema):
    number = fields.String()
    genuine = fields.Boolean()
    status = fields.String(metadata={"description": "valid or revoked"})
    type = fields.String()
    name = fields.String()
    holder = fields.Nested(CertificateHolderOut)
    issued_on = fields.Date()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True, metadata={"description": "null: long-term (长期)"})
    metadata = fields.Dict(metadata={"description": "the GB/T 36903 fields, as the e-licence carries them: "
                                                    "licence_name, type_code, number, issuer, issuer_code, holder, "
                                                    "holder_code, holder_code_type, issued_on, valid_from, "
                                                    "valid_to, jurisdiction_code"})
    signature = fields.Nested(SignatureOut)


@blp.get("/certificates/<string:number>")
@certificate_check()
@blp.response(200, CertificateCheckOut)
@blp.alt_response(404, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many checks from this address: wait a minute.")
def certificate(number: str) -> dict[str, Any]:
    """Whether a certificate is genuine: its holder, type, date and status (valid / revoked). No token.

    Never the case number; the holder's credit code masked in ``holder``. ``metadata`` and ``signature`` are the
    e-licence's: its GB/T 36903 fields — the holder's full credit code among them, signed as the printed licence
    shows it (README "E-licences" says what that discloses) — and the Ed25519 signature over their canonical
    JSON. Checks are limited per client address, shared with the web page's check."""
    return services().licences.public_check(number)


@blp.get("/certificates/<string:number>/document")
@blp.doc(security=[{"bearer": []}])
@blp.response(200, description="the e-licence as PDF: metadata, QR code to the public check, signature")
@error_docs(blp, (401, 403, 404, 503))
def certificate_document(number: str) -> Response:
    """The e-licence as PDF, rendered now (a revoked one says so), for whoever may read its case."""
    who = actor()
    data = services().licences.document(who, number, url_for("ui_public.verify_number", number=number,
                                                             _external=True))
    digest = hashlib.sha256(data).hexdigest()
    return file_response(f"{number}.pdf", "application/pdf", digest, len(data), io.BytesIO(data),
                         download=request.args.get("download") == "1")
