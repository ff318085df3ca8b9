"""Intake's pre-review of online filings (网上预审): the queue with each filing's waiting time and deadline, and
the two answers on the case page — accept (受理), or return once listing every material missing (一次性告知)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from application.common.errors import ApplicationError
from domain.shared.errors import DomainError
from domain.shared.text import MAX_TEXT
from domain.shared.values import Role
from web.errors import status_of
from web.ui.case.actions import refusal
from web.ui.case.views import render_case
from web.ui.desk.views import bp
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.urls import services, whole_number

nav_link(bp, "ui_desk.pre_review", _l("Online filings"), Role.INTAKE, order=15)


@bp.get("/pre-review")
@requires(Role.INTAKE, Role.SUPERVISOR)
def pre_review() -> Any:
    """Online filings not yet accepted, the longest waiting first: intake's turn (with the last day it may answer
    before the law accepts the filing), then those returned to the applicant."""
    page = services().online_queries.pre_review(current_actor(), whole_number(request.args.get("page"), 1, 99_999)
                                                or 1, 20)
    return render_template("ui/desk/pre_review.html", page=page, today=services().clock.today())


@bp.post("/cases/<string:case_id>/accept-filing")
@requires(Role.INTAKE)
def accept_filing(case_id: str) -> Any:
    """Accept the online filing: the case is open, its items go to their departments."""
    reason = request.form.get("reason", "")[:MAX_TEXT]
    return _answer(case_id, lambda: services().cases.intake.accept_filing(current_actor(), case_id, reason,
                                                                         _version()), _("The filing is accepted."))


@bp.post("/cases/<string:case_id>/return-filing")
@requires(Role.INTAKE)
def return_filing(case_id: str) -> Any:
    """Return the filing once, with every material missing ticked and the reason."""
    missing = [key for key in request.form.getlist("missing") if key][:100]
    reason = request.form.get("reason", "")[:MAX_TEXT].strip()
    if not missing or not reason:
        case = services().cases.reads.get_case(current_actor(), case_id)
        return render_case(case, 422, problem=_("Tick every material that is missing and say why: the applicant is "
                                                "told everything at once."))
    return _answer(case_id, lambda: services().cases.intake.return_filing(current_actor(), case_id, missing, reason,
                                                                         _version()),
                   _("The filing is returned with everything missing listed."))


def _version() -> int | None:
    return whole_number(request.form.get("version"), 1)


def _answer(case_id: str, command: Any, done: str) -> Any:
    try:
        command()
    except (ApplicationError, DomainError) as error:
        case = services().cases.reads.get_case(current_actor(), case_id)
        return render_case(case, status_of(error), problem=refusal(error)[0], detail=str(error))
    flash(done, "success")
    return redirect(url_for("ui_case.show", case_id=case_id), 303)
