"""The follow-ups of poor ratings (差评整改): supervisors see each with its due date (15 working days) and close it
with the return visit (回访) recorded."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from application.common.errors import ApplicationError
from domain.shared.errors import DomainError
from domain.shared.text import MAX_TEXT
from domain.shared.values import Role
from web.ui.case.actions import refusal
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.supervision.views import bp
from web.ui.urls import services, whole_number

nav_link(bp, "ui_supervision.follow_ups", _l("Poor ratings"), Role.SUPERVISOR, order=30)
STATES = {"open": _l("Open"), "closed": _l("Closed")}


@bp.get("/supervision/follow-ups")
@requires(Role.SUPERVISOR, Role.AUDITOR)
def follow_ups(problem: Any = None, status: int = 200) -> Any:
    """Poor ratings' follow-ups, the earliest due first (open ones by default)."""
    state = request.args.get("state", "open")
    state = state if state in STATES else "open"
    page = services().online_queries.follow_ups(current_actor(), state,
                                                whole_number(request.args.get("page"), 1, 99_999) or 1, 20)
    return render_template("ui/supervision/follow_ups.html", page=page, state=state, states=STATES,
                           problem=problem), status


@bp.post("/supervision/follow-ups/<string:case_id>/close")
@requires(Role.SUPERVISOR)
def close_follow_up(case_id: str) -> Any:
    """Close one follow-up with the return visit and the reason."""
    visit = request.form.get("return_visit", "")[:MAX_TEXT].strip()
    reason = request.form.get("reason", "")[:MAX_TEXT].strip()
    if not visit or not reason:
        return follow_ups(_("Record the return visit and the reason to close a follow-up."), 422)
    try:
        saved = services().cases.supervision.close_follow_up(current_actor(), case_id, visit, reason)
    except (ApplicationError, DomainError) as error:
        return follow_ups(refusal(error)[0], 409)
    flash(_("The follow-up of case %(number)s is closed.", number=saved.number), "success")
    return redirect(url_for(".follow_ups"), 303)
