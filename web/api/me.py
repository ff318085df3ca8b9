"""The applicant's own: its enterprise's cases (网上办)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import RAISE

from web.api.core import actor, error_docs, services
from web.api.schemas import MyCasesOut, PageArgs

blp = Blueprint("me", __name__, url_prefix="/me", description="What an applicant sees of its own")


@blp.get("/cases")
@blp.arguments(PageArgs, location="query", unknown=RAISE)
@blp.response(200, MyCasesOut)
@error_docs(blp, (401, 403, 422))
def my_cases(args: dict[str, Any]) -> dict[str, Any]:
    """The enterprise's cases (an agent's: of the bundles it is authorised for), newest first: status and each
    item's status in plain words (zh, en), due dates, and what is asked of the applicant (applicants)."""
    who = actor()
    found = services().online_queries.my_cases(who, args["page"], args["per_page"])
    return {"cases": found.rows, "total": found.total, "page": found.page, "per_page": found.per_page}
