"""Applicants: the vault (数字保险箱) of an enterprise — every file it submitted, every e-licence issued to it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from web.api.core import actor, error_docs, services

blp = Blueprint("applicants", __name__, url_prefix="/applicants", description="Applicants and their vaults")


class VaultFileOut(Schema):
    key = fields.String()
    name = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    first_case = fields.String()
    last_used = fields.DateTime()


class VaultLicenceOut(Schema):
    number = fields.String()
    type = fields.String()
    name = fields.String()
    issuer = fields.String()
    issued_on = fields.Date()
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True, metadata={"description": "null: long-term (长期)"})
    status = fields.String(metadata={"description": "valid or revoked (void certificates were never the holder's)"})
    valid_now = fields.Boolean()


class VaultOut(Schema):
    materials = fields.List(fields.Nested(VaultFileOut))
    licences = fields.List(fields.Nested(VaultLicenceOut))


@blp.get("/<string:credit_code>/vault")
@blp.response(200, VaultOut)
@error_docs(blp, (401, 403))
def vault(credit_code: str) -> dict[str, Any]:
    """Every file the enterprise ever submitted and every e-licence issued to it, with validity (intake,
    supervisors, auditors)."""
    return services().materials.vault_of(actor(), credit_code.strip().upper())
