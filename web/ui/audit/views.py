"""The auditor's pages: search cases and the audit log, a case's timeline, replay, diff, verify and exports.

Auditors read and verify; nothing here changes a case. The panels of the case page (replay, diff, verify)
are loaded by htmx into the page; without JavaScript the same addresses answer with the whole page.
An htmx answer with a form error is a 200 (htmx 2 swaps no 4xx answer); the whole page answers 422.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from application.audit.queries import audit_log_page, case_id_by_number
from application.common.errors import InvalidInput
from domain.shared.values import Role
from web.ui.audit import case as audit_case
from web.ui.audit.words import actor_words, local_input, parse_moment, short_hash, when
from web.ui.errors import error_page
from web.ui.i18n import localized_name, status_label
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.urls import is_htmx, services, whole_number

bp = Blueprint("ui_audit", __name__)
nav_link(bp, "ui_audit.index", _l("Audit"), Role.AUDITOR, order=10)
log = logging.getLogger(__name__)

CASES_PER_PAGE, LOG_PER_PAGE, MAX_PAGE, MAX_FIELD = 20, 50, 100_000, 128
CASE_STATUSES = ("open", "completed", "rejected", "withdrawn")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"when": when, "actor_words": actor_words, "short_hash": short_hash, "local_input": local_input}


@bp.get("/audit")
@requires(Role.AUDITOR)
def index() -> Any:
    """Search cases by number, applicant or credit code, bundle and status; verify the whole record."""
    form = {name: request.args.get(name, "")[:MAX_FIELD].strip() for name in ("q", "bundle", "status")}
    bundles = {row["code"]: localized_name(row, row["code"]) for row in services().queries.published_bundles()}
    errors = {}
    if form["bundle"] and form["bundle"] not in bundles:
        errors["bundle"] = _("Choose a bundle from the list.")
    if form["status"] and form["status"] not in CASE_STATUSES:
        errors["status"] = _("Choose a status from the list.")
    page = None if errors else services().queries.case_list(
        current_actor(), text=form["q"], bundle=form["bundle"], status=form["status"], page=_page_number(),
        per_page=CASES_PER_PAGE)
    statuses = [(code, status_label(code)) for code in CASE_STATUSES]
    return render_template("ui/audit/index.html", form=form, errors=errors, page=page, bundles=bundles,
                           statuses=statuses, searched=any(form.values())), 422 if errors else 200


@bp.post("/audit/verify")
@requires(Role.AUDITOR)
def verify_store() -> Any:
    """Verify every stored chain, the audit log and the signed checkpoints (may take seconds)."""
    result = audit_case.verify()
    if is_htmx():
        return render_template("ui/audit/_verify.html", result=result)
    return render_template("ui/audit/verify_store.html", result=result)


@bp.get("/audit/log")
@requires(Role.AUDITOR)
def audit_log() -> Any:
    """The audit log, newest first, by actor, department, case and time range."""
    form = {name: request.args.get(name, "")[:MAX_FIELD].strip()
            for name in ("actor", "department", "case", "since", "until")}
    departments = services().queries.departments()
    filters, errors = _log_filters(form, departments)
    page = None if errors else audit_log_page(services().queries, current_actor(), page=_page_number(),
                                              per_page=LOG_PER_PAGE, **filters)
    options = [("", _("Any department"))] + [(code, localized_name(row, code)) for code, row in departments.items()]
    return render_template("ui/audit/log.html", form=form, errors=errors, page=page, departments=options,
                           searched=any(form.values())), 422 if errors else 200


@bp.get("/audit/cases/<string:case_id>")
@requires(Role.AUDITOR)
def case(case_id: str) -> Any:
    """A case's timeline, with the replay, diff, verify and export controls."""
    return _case_page(case_id)


@bp.get("/audit/cases/<string:case_id>/replay")
@requires(Role.AUDITOR)
def replay(case_id: str) -> Any:
    """The case as it stood at an event (``version``) or an instant (``as_of``), with what applied then."""
    context, errors = audit_case.replay(case_id, request.args)
    return _panel("ui/audit/_replay.html", case_id, errors, replay=context, replay_errors=errors)


@bp.get("/audit/cases/<string:case_id>/diff")
@requires(Role.AUDITOR)
def diff(case_id: str) -> Any:
    """What changed between two versions of the case (``from``, ``to``)."""
    context, errors = audit_case.diff(case_id, request.args)
    return _panel("ui/audit/_diff.html", case_id, errors, diff=context, diff_errors=errors)


@bp.post("/audit/cases/<string:case_id>/verify")
@requires(Role.AUDITOR)
def verify_case(case_id: str) -> Any:
    """Verify this case's hash chain against the store and the audit log."""
    case = services().cases.reads.get_case(current_actor(), case_id)  # an unknown case is a 404 page
    return _panel("ui/audit/_verify.html", str(case.id), {}, result=audit_case.verify(str(case.id)))


@bp.get("/audit/cases/<string:case_id>/export.<any(json, csv, pdf):fmt>")
@requires(Role.AUDITOR)
def export(case_id: str, fmt: str) -> Any:
    """One case's history with hashes and its verify result, downloaded as JSON, CSV or PDF."""
    case = services().cases.reads.get_case(current_actor(), case_id)
    try:
        body, media_type = services().audit.export(current_actor(), case.id, fmt)
    except (RuntimeError, InvalidInput) as error:  # PDF needs WeasyPrint and Pango on the server
        if fmt != "pdf":
            raise
        log.warning("PDF export failed: %s", error)
        return error_page(503, _("PDF export is not available on this server. Download JSON or CSV instead."))
    response = Response(body, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{case.number}-audit.{fmt}"'
    return response


def _case_page(case_id: str, status: int = 200, **panels: Any) -> Any:
    context = audit_case.timeline(case_id)
    version, options = str(context["case"].version), context["choices"]
    panels.setdefault("replay", {"case_id": context["case_id"], "version": version, "as_of": "", "choices": options,
                                 "current_version": context["case"].version})
    panels.setdefault("diff", {"case_id": context["case_id"], "from": "1", "to": version, "choices": options,
                               "current_version": context["case"].version})
    return render_template("ui/audit/case.html", **context, **panels), status


def _panel(template: str, case_id: str, errors: dict[str, str], **context: Any) -> Any:
    """The panel alone for htmx, else the case page with the panel filled in."""
    if is_htmx():
        return render_template(template, case_id=case_id, **context)
    return _case_page(case_id, 422 if errors else 200, **context)


def _log_filters(form: dict[str, str], departments: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The audit log's filters from the form, and the form's errors in words."""
    filters: dict[str, Any] = {"actor": form["actor"]}
    errors = {}
    if form["department"] and form["department"] not in departments:
        errors["department"] = _("Choose a department from the list.")
    filters["department"] = form["department"]
    if form["case"]:
        filters["case_id"] = _case_id(form["case"])
        if filters["case_id"] is None:
            errors["case"] = _("No case has this number.")
    for name in ("since", "until"):
        try:
            filters[name] = parse_moment(form[name], end_of_day=name == "until") if form[name] else None
        except ValueError:
            errors[name] = _("Enter a date, or a date and time, for example 2025-03-05 14:30.")
    if filters.get("since") and filters.get("until") and filters["until"] <= filters["since"]:
        errors["until"] = _("The end must come after the start.")
    return filters, errors


def _case_id(text: str) -> str | None:
    """A case id typed as is, or the id of the case with this number."""
    try:
        return str(UUID(text))
    except ValueError:
        return case_id_by_number(services().queries, current_actor(), text.upper())


def _page_number() -> int:
    text = request.args.get("page", "1")
    return min(whole_number(text, 1) or 1, MAX_PAGE)
