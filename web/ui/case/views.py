"""The case page, shared by everyone who may see a case, and the reviewer's actions on its items.

``GET /cases/<id>`` shows the case to any user ``CaseReads.get_case`` lets see it (others get a 403
page). ``POST /cases/<id>/items/<code>/<action>`` runs one reviewer command (``web.ui.case.actions.ACTIONS``)
with the version the page showed: a stale page is answered 409, a refusal of the application 403/409 with
the case page and the refusal in words, a form with an empty required field 422 with the error next to it.

Other areas add their forms through the page's include slots ``ui/case/supervisor_actions.html`` and
``ui/case/intake_actions.html``; they see the page's context (``case``, ``view``, ``version``, ``failed``).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from application.cases.views import CaseView
from application.common.errors import ApplicationError, NotAllowed, VersionConflict
from application.materials.service import SUBMITTERS
from domain.shared.errors import DomainError
from domain.shared.values import Role
from web.api.core import file_response
from web.errors import status_of
from web.ui.case.actions import ACTIONS, INVALID, STALE, holds, read_form, refusal
from web.ui.case.rows import case_view
from web.ui.i18n import is_english
from web.ui.request_keys import is_retry
from web.ui.session import current_actor, requires
from web.ui.urls import services, whole_number

bp = Blueprint("ui_case", __name__)


@bp.get("/cases/<string:case_id>")
@requires()
def show(case_id: str) -> Any:
    """The case: header, items, materials, escalations, and the actions the signed-in user may take (an
    applicant has its own page of its case)."""
    actor = current_actor()
    if actor.role == Role.APPLICANT:
        return redirect(url_for("ui_applicant.case", case_id=case_id), 303)
    return render_case(services().cases.reads.get_case(actor, case_id))


@bp.post("/cases/<string:case_id>/items/<string:code>/<string:action>")
@requires()
def item_action(case_id: str, code: str, action: str) -> Any:
    """Run one action on an item with the case's version the page showed; back to the page with a flash."""
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    actor, cases = current_actor(), services().cases
    values, problems = read_form(chosen, request.form)
    version = _version(request.form.get("version"))
    if version is None or not is_retry():  # a form sent again whose first sending committed answers as that did
        case = cases.reads.get_case(actor, case_id)  # may the actor see it at all? (else a 403 page that shows nothing)
        case_id = str(case.id)
        item = case.items.get(code)
        if problems and item is not None and holds(actor, item) and chosen.allows(case, item):
            return render_case(case, 422, problem=INVALID, failed=_failed(code, action, values, problems))
        if version is None:
            return render_case(case, 409, problem=STALE, failed=_failed(code, action, values, {}))
    try:
        saved = chosen.run(cases, actor, case_id, code, values, version)
    except (ApplicationError, DomainError) as error:
        return _refused(case_id, code, action, values, error)
    flash(chosen.done, "success")
    if not cases.reads.may_see(actor, saved.id, saved.version):  # transferred its last item away
        return redirect(url_for("ui_queue.index"), 303)
    return redirect(url_for(".show", case_id=str(saved.id)), 303)


@bp.get("/cases/<string:case_id>/materials/<string:key>/files/<int:version>")
@requires()
def material_file(case_id: str, key: str, version: int) -> Any:
    """One version of a material, opened inline (a PDF in the browser's viewer, an image shown) or, with
    ``?download=1``, saved; for whoever may see the case (the audit timeline links here too)."""
    found, stream = services().materials.file(current_actor(), case_id, key, version)
    return file_response(found.filename, found.media_type, found.sha256, found.size, stream,
                         download=request.args.get("download") == "1")


@bp.post("/cases/<string:case_id>/materials/<string:key>/files")
@requires()
def upload_material(case_id: str, key: str) -> Any:
    """Store each attached file as the next version of material ``key`` (补正 adds versions), in the order
    chosen, all or none; the page's script sends them one by one with a progress bar, a form without it sends
    them all at once."""
    actor, materials = current_actor(), services().materials
    uploads = [u for u in request.files.getlist("file") if u.filename]
    if not uploads:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for(".show", case_id=case_id), 303)
    try:  # all or none: every file is checked and stored, then every version recorded in one command
        saved = materials.upload_many(actor, case_id, key, [(u.stream, u.filename or "") for u in uploads],
                                      request.form.get("reason", "")[:2000])
    except (ApplicationError, DomainError) as error:
        case = services().cases.reads.get_case(actor, case_id)
        return render_case(case, status_of(error), problem=refusal(error)[0], detail=str(error))
    if saved.result:
        flash(_("%(count)s file(s) stored as new version(s) of the material.", count=len(uploads)), "success")
    else:
        flash(_("This file already is the latest version; nothing new was recorded."), "info")
    return redirect(url_for(".show", case_id=case_id, _anchor=f"material-{key}"), 303)


@bp.post("/cases/<string:case_id>/materials/<string:key>/reuse")
@requires()
def reuse_material(case_id: str, key: str) -> Any:
    """Use a file of the applicant's vault or an e-licence it holds as the next version of material ``key``."""
    actor, materials = current_actor(), services().materials
    sha256, licence = request.form.get("sha256", "")[:64], request.form.get("licence", "")[:96]
    try:
        saved = (materials.reuse_file(actor, case_id, key, sha256) if sha256
                 else materials.reuse_licence(actor, case_id, key, licence))
    except (ApplicationError, DomainError) as error:
        case = services().cases.reads.get_case(actor, case_id)
        return render_case(case, status_of(error), problem=refusal(error)[0], detail=str(error))
    if saved.result:
        flash(_("Reused from the applicant's vault: nothing to upload again."), "success")
    else:
        flash(_("This file already is the latest version; nothing new was recorded."), "info")
    return redirect(url_for(".show", case_id=case_id, _anchor=f"material-{key}"), 303)


@bp.get("/certificates/<string:number>/document")
@requires()
def certificate_document(number: str) -> Any:
    """A released certificate's e-licence as PDF (rendered now: a revoked one says so), for readers of its case."""
    data = services().licences.document(current_actor(), number,
                                        url_for("ui_public.verify_number", number=number, _external=True))
    return file_response(f"{number}.pdf", "application/pdf", hashlib.sha256(data).hexdigest(), len(data),
                         io.BytesIO(data), download=request.args.get("download") == "1")


def render_case(case: CaseView, status: int = 200, problem: Any = None, detail: str | None = None,
                failed: dict[str, Any] | None = None) -> Any:
    """The case page of ``case`` with ``status``; ``problem`` in words above it, ``failed`` (the form sent, its
    values and field errors) shown again where it was."""
    actor = current_actor()
    if actor.role == Role.APPLICANT:  # a staff form sent by an applicant: its own page of its case says why
        from web.ui.applicant.views import render_applicant_case

        return render_applicant_case(str(case.id), status, problem, detail)
    view = case_view(case, actor)
    may_submit = actor.role in SUBMITTERS and str(case.status) == "open"
    offers = services().materials.offers(actor, str(case.id)) if may_submit else {}
    credit = services().catalogue.credit_of(str(case.applicant.get("credit_code", "")), services().clock.today()) \
        if str(case.status) == "open" else None  # the rules' credit check, as it stands today
    return render_template("ui/case/show.html", view=view, offers=offers, may_submit=may_submit, credit=credit,
                           answers=answer_rows(case), case=case, version=case.version, problem=problem,
                           detail=detail, failed=failed or {}), status


def answer_rows(case: CaseView) -> list[tuple[str, str]]:
    """The case's answers as (question, answer) in words: the question's label, a choice's label, yes or no."""
    definition = services().catalogue.definition(case.bundle, case.bundle_version)[0]
    english, rows = is_english(), []
    for question in definition.questions:
        if question.key not in case.answers:
            continue
        value = case.answers[question.key]
        if question.type == "boolean":
            words = _("Yes") if value else _("No")
        elif question.type == "choice":
            labels = question.choice_labels_en if english else question.choice_labels
            words = labels.get(value) or question.choice_labels.get(value) or str(value)
        else:
            words = str(value)
        rows.append(((question.label_en if english and question.label_en else question.label), words))
    return rows


def _refused(case_id: str, code: str, action: str, values: dict[str, Any], error: Exception) -> Any:
    """The case as it is now, with the refusal in words (and the fields it names next to them)."""
    words, fields = refusal(error)
    status = status_of(error)
    if isinstance(error, NotAllowed):
        status = 403
    elif isinstance(error, VersionConflict):
        status = 409
    case = services().cases.reads.get_case(current_actor(), case_id)  # the actor may no longer see it: a 403 page
    detail = str(error) if status in (409, 422) and not isinstance(error, VersionConflict) else None
    return render_case(case, status, problem=words, detail=detail, failed=_failed(code, action, values, fields))


def _failed(code: str, action: str, values: dict[str, Any], problems: dict[str, Any]) -> dict[str, Any]:
    return {"item": code, "action": action, "values": values, "errors": problems}


def _version(value: str | None) -> int | None:
    """The case version a form was sent from, if it is a whole number."""
    text = (value or "").strip()
    return whole_number(text, 0)
