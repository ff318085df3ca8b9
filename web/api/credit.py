"""Credit lists (信用名单), recorded by admins; the rules' credit check reads them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from application.catalogue.application import CreditEntry
from web.api.core import actor, error_docs, services
from web.api.idempotency import idempotent
from web.api.schemas import TEXT, Strict

blp = Blueprint("credit", __name__, url_prefix="/credit", description="Credit lists (admins)")


class CreditEntryIn(Strict):
    credit_code = fields.String(required=True, validate=validate.Length(min=18, max=18))
    list = fields.String(required=True, validate=validate.Length(min=1, max=64))
    valid_from = fields.Date(required=True, data_key="from")
    valid_to = fields.Date(required=True, data_key="to")
    source = fields.String(load_default="", validate=TEXT)


class CreditEntriesRequest(Strict):
    entries = fields.List(fields.Nested(CreditEntryIn), required=True, validate=validate.Length(min=1, max=10_000))
    reason = fields.String(load_default="", validate=TEXT)


class CreditRecordedOut(Schema):
    recorded = fields.Integer()


@blp.post("/entries")
@blp.arguments(CreditEntriesRequest)
@blp.response(201, CreditRecordedOut)
@error_docs(blp, (403, 422))
@idempotent(lambda earlier, status, body: {"recorded": len(body["entries"])}, 201)
def record_entries(body: dict[str, Any]) -> dict[str, Any]:
    """Record entries of the credit lists, all or none (admins): an entry valid today fails the credit check of
    the rules, so no item of that enterprise is approved automatically."""
    entries = [CreditEntry(e["credit_code"], e["list"], e["valid_from"], e["valid_to"], e["source"])
               for e in body["entries"]]
    return {"recorded": services().catalogue.record_credit_entries(actor(), entries, body["reason"])}
