"""What anyone may read: the published bundles (any signed-in user) and certificate checks (no token)."""

from __future__ import annotations

import json
from typing import Any

from flask_smorest import Blueprint
from marshmallow import RAISE

from web.api.core import actor, services
from web.api.schemas import BundleOut, CertificateOut, ErrorOut, RoadmapArgs, RoadmapOut

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


@blp.get("/certificates/<string:number>")
@blp.response(200, CertificateOut)
@blp.alt_response(404, schema=ErrorOut)
def certificate(number: str) -> dict[str, Any]:
    """Whether a certificate is genuine: holder, type, case, date and status (valid / revoked). No token."""
    row = services().queries.certificate(number)
    return {"number": row["number"], "genuine": True, "status": row["status"], "type": row["type"],
            "name": row["name"], "holder": {"name": row["holder_name"], "credit_code": row["holder_code"]},
            "case": row["case_number"], "issued_on": row["issued_on"].isoformat()}
