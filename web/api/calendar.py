"""Local working-day overrides (admins): recorded as events, used by every deadline at once."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from web.api.core import actor, services
from web.api.idempotency import idempotent
from web.api.schemas import CalendarDayRequest, CalendarYearRequest, ErrorOut

blp = Blueprint("calendar", __name__, url_prefix="/calendar", description="Working-day overrides (admins)")


@blp.post("/days")
@blp.arguments(CalendarDayRequest)
@blp.response(204)
@blp.alt_response(403, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
@idempotent(lambda *_, **__: None, 204)  # a repeat: 204 again, nothing declared twice
def declare_day(body: dict[str, Any]) -> None:
    """Declare a local holiday or an (adjusted) working day (admins)."""
    services().catalogue.declare_calendar_day(actor(), body["day"], body["workday"], body["reason"])


@blp.post("/years")
@blp.arguments(CalendarYearRequest)
@blp.response(204)
@blp.alt_response(403, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
@idempotent(lambda *_, **__: None, 204)
def declare_year(body: dict[str, Any]) -> None:
    """Declare a year's schedule complete (admins): its deadlines stop being provisional."""
    services().catalogue.declare_calendar_year(actor(), body["year"], body["reason"])
