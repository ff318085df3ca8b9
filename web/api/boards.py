"""Lists, queues, boards and figures, all from the read models (caught up to the caller's own writes)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import RAISE

from web.api.core import actor, services
from web.api.schemas import (
    CaseListArgs,
    CasePageOut,
    ErrorOut,
    EscalationArgs,
    EscalationOut,
    KpisOut,
    LagOut,
    QueueOut,
)

blp = Blueprint("boards", __name__, description="Case list, queues, escalations, KPIs, projection lag")


def _page(page: Any) -> dict[str, Any]:
    return {"items": page.rows, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.get("/cases")
@blp.arguments(CaseListArgs, location="query", unknown=RAISE)
@blp.response(200, CasePageOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def case_list(args: dict[str, Any]) -> dict[str, Any]:
    """Cases, searchable and paginated (reviewers see cases with an item of their department)."""
    return _page(services().queries.case_list(actor(), **args))


@blp.get("/queues/<string:department>")
@blp.response(200, QueueOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def queue(department: str) -> dict[str, Any]:
    """Items waiting for ``department``, oldest deadline first (its reviewers, supervisors)."""
    return services().queries.department_queue(actor(), department)


@blp.get("/escalations")
@blp.arguments(EscalationArgs, location="query", unknown=RAISE)
@blp.response(200, EscalationOut(many=True))
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def escalations(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The escalations board (supervisors, auditors); ``?state=open`` or ``closed``."""
    return services().queries.escalation_board(actor(), args["state"])


@blp.get("/kpis")
@blp.response(200, KpisOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def kpis() -> dict[str, Any]:
    """On-time rate, cycle times, counts and reductions per bundle and department."""
    return services().queries.kpis(actor())


@blp.get("/admin/projections")
@blp.response(200, LagOut(many=True))
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def projection_lag() -> list[dict[str, Any]]:
    """How far each read model is behind each event log (admins)."""
    return services().queries.projection_lag(actor())
