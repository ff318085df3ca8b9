"""What anyone may read: the published bundles (any signed-in user) and certificate checks (no token)."""

from __future__ import annotations

import json
from typing import Any

from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from application.cases.disclosure import check_certificate
from web.api.core import actor, services
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
    return services().roadmaps.roadmap(code, args.get("start"))


class CertificateHolderOut(Schema):
    name = fields.String(metadata={"description": "the holder's name"})
    credit_code_masked = fields.String(metadata={"description": "the holder's unified social credit code with "
                                                                "all but its first and last four characters "
                                                                "hidden, e.g. 9111**********341L"})


class CertificateCheckOut(Schema):
    number = fields.String()
    genuine = fields.Boolean()
    status = fields.String(metadata={"description": "valid or revoked"})
    type = fields.String()
    name = fields.String()
    holder = fields.Nested(CertificateHolderOut)
    issued_on = fields.Date()


@blp.get("/certificates/<string:number>")
@certificate_check()
@blp.response(200, CertificateCheckOut)
@blp.alt_response(404, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many checks from this address: wait a minute.")
def certificate(number: str) -> dict[str, Any]:
    """Whether a certificate is genuine: its holder, type, date and status (valid / revoked). No token.

    Never the case number nor the holder's full credit code (together they open the case's progress); checks
    are limited per client address, shared with the web page's check."""
    return check_certificate(services().queries, number)
