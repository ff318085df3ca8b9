"""The applicant's pages: home (``/me``: the enterprise's cases in plain words), filing online (a bundle, its
questions prefilled from earlier filings, materials uploaded or taken from the vault), and its own case
(``/me/cases/<id>``: what is asked of it, uploads, e-licences, rating, petitions, withdrawal).

Every page reads and writes through the application layer, which decides what an applicant may see and do
(``application.common.access.is_own_case``); these views only draw and read forms. Pages work on a phone.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from application.cases.online_reads import CASE_WORDS, ITEM_WORDS, words
from application.common.errors import ApplicationError
from domain.shared.errors import DomainError
from domain.shared.text import MAX_TEXT
from domain.shared.values import Role
from web.errors import status_of
from web.ui.applicant.forms import read_filing
from web.ui.case.actions import refusal
from web.ui.case.views import answer_rows
from web.ui.desk.forms import keep_files
from web.ui.desk.pages import bundle_context
from web.ui.desk.views import from_vault
from web.ui.i18n import is_english
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.urls import services, whole_number

bp = Blueprint("ui_applicant", __name__)
nav_link(bp, "ui_applicant.home", _l("My cases"), Role.APPLICANT, order=10)
nav_link(bp, "ui_applicant.choose", _l("File online"), Role.APPLICANT, order=20)

RATINGS = ((5, _l("Very satisfied")), (4, _l("Satisfied")), (3, _l("Basically satisfied")),
           (2, _l("Dissatisfied")), (1, _l("Very dissatisfied")))


def said(table: dict[str, tuple[str, str]], status: str) -> str:
    """A status in the applicant's words, in the page's language."""
    found = words(table, status)
    return found["en"] if is_english() else found["zh"]


@bp.get("/me")
@requires(Role.APPLICANT)
def home() -> Any:
    """The enterprise's cases, newest first, each item's status in plain words, and what is asked of it."""
    actor = current_actor()
    page = services().online_queries.my_cases(actor, whole_number(request.args.get("page"), 1, 99_999) or 1, 20)
    return render_template("ui/applicant/home.html", page=page, case_words=lambda s: said(CASE_WORDS, s),
                           item_words=lambda s: said(ITEM_WORDS, s), material_names=_material_names(page.rows))


@bp.get("/me/file")
@requires(Role.APPLICANT)
def choose() -> Any:
    """The bundles the applicant may file (an agent: those it is authorised for)."""
    actor = current_actor()
    bundles = [b for b in services().queries.published_bundles()
               if actor.bundles is None or b["code"] in actor.bundles]
    return render_template("ui/applicant/choose.html", bundles=bundles)


@bp.route("/me/file/<string:code>", methods=["GET", "POST"])
@requires(Role.APPLICANT)
def file(code: str) -> Any:
    """The filing form of bundle ``code``: its questions (prefilled from the enterprise's earlier filings), its
    materials (upload, or the vault's); nothing is saved until every field is right."""
    actor, materials = current_actor(), services().materials
    context = bundle_context(code)
    definition = context["definition"]
    definitions = {m.key: {"licence_types": list(m.licence_types)} for m in definition.materials}
    offers = materials.vault_offers(actor, actor.enterprise or "", definitions)
    if request.method == "GET":
        prefill = services().online_queries.prefill(actor, [q.key for q in definition.questions])
        return render_template("ui/applicant/file.html", form=None, prefill=prefill, offers=offers, **context)
    entered = read_filing(request.form, request.files, definition)
    if not entered.errors:
        keep_files(entered, lambda upload: materials.keep(upload.stream),
                   from_vault(definition, actor.enterprise or ""))
    if entered.errors:
        return render_template("ui/applicant/file.html", form=entered, prefill={}, offers=offers,
                               **context), 422
    try:
        saved = services().cases.online.file(actor, code, entered.answers, materials=entered.materials())
    except (ApplicationError, DomainError) as error:
        return render_template("ui/applicant/file.html", form=entered, prefill={}, offers=offers,
                               problem=_("The filing cannot be submitted: %(problem)s", problem=str(error)),
                               **context), status_of(error)
    flash(_("Filed online as case %(number)s: intake pre-reviews it within 5 working days.", number=saved.number),
          "success")
    return redirect(url_for(".case", case_id=str(saved.id)), 303)


@bp.get("/me/cases/<string:case_id>")
@requires(Role.APPLICANT)
def case(case_id: str) -> Any:
    """The applicant's own case as it is now."""
    return render_applicant_case(case_id)


@bp.post("/me/cases/<string:case_id>/materials/<string:key>")
@requires(Role.APPLICANT)
def upload(case_id: str, key: str) -> Any:
    """Upload new versions of a material: what the return listed missing, or what a reviewer asked for."""
    uploads = [u for u in request.files.getlist("file") if u.filename]
    if not uploads:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for(".case", case_id=case_id), 303)
    return _act(case_id, lambda actor: services().materials.upload_many(
        actor, case_id, key, [(u.stream, u.filename or "") for u in uploads]),
        _("%(count)s file(s) uploaded.", count=len(uploads)),
        unchanged=_("This file already is the latest version; nothing new was recorded."))


@bp.post("/me/cases/<string:case_id>/rating")
@requires(Role.APPLICANT)
def rate(case_id: str) -> Any:
    """Rate the closed case (好差评, five levels)."""
    score = whole_number(request.form.get("score"), 1, 5)
    if score is None:
        flash(_("Choose how satisfied you are."), "error")
        return redirect(url_for(".case", case_id=case_id), 303)
    comment = request.form.get("comment", "")[:MAX_TEXT]
    return _act(case_id, lambda actor: services().cases.intake.rate(actor, case_id, score, comment),
                _("Thank you for your rating."))


@bp.post("/me/cases/<string:case_id>/withdraw")
@requires(Role.APPLICANT)
def withdraw(case_id: str) -> Any:
    """Withdraw the case (the reason is required)."""
    reason = request.form.get("reason", "")[:MAX_TEXT].strip()
    if not reason:
        flash(_("Say why you withdraw the case."), "error")
        return redirect(url_for(".case", case_id=case_id), 303)
    return _act(case_id, lambda actor: services().cases.intake.withdraw(actor, case_id, reason),
                _("The case is withdrawn."))


@bp.post("/me/cases/<string:case_id>/petition")
@requires(Role.APPLICANT)
def petition(case_id: str) -> Any:
    """File a petition (诉求) about the case: a supervisor routes it to the department concerned."""
    subject = request.form.get("subject", "")[:200].strip()
    text = request.form.get("text", "")[:MAX_TEXT].strip()
    if not subject or not text:
        flash(_("Enter the subject and what you ask."), "error")
        return redirect(url_for(".case", case_id=case_id), 303)
    actor = current_actor()
    found = services().cases.reads.get_case(actor, case_id)
    try:
        saved = services().petitions.submit(actor, str(found.applicant["name"]), actor.enterprise, subject, text,
                                            "online", related_case=found.number)
    except (ApplicationError, DomainError) as error:
        return render_applicant_case(case_id, status_of(error), refusal(error)[0], str(error))
    flash(_("Petition %(number)s is filed; you will be answered.", number=saved.number), "success")
    return redirect(url_for(".case", case_id=case_id), 303)


def _act(case_id: str, command: Any, done: str, unchanged: str | None = None) -> Any:
    """Run an applicant's command on its case; back to the case with a flash (``unchanged`` when it recorded
    nothing: the same file again), or the refusal in words."""
    try:
        saved = command(current_actor())
    except (ApplicationError, DomainError) as error:
        return render_applicant_case(case_id, status_of(error), refusal(error)[0], str(error))
    if unchanged is not None and saved.result is False:
        flash(unchanged, "warning")
    else:
        flash(done, "success")
    return redirect(url_for(".case", case_id=case_id), 303)


def render_applicant_case(case_id: str, status: int = 200, problem: Any = None, detail: str | None = None) -> Any:
    """The applicant's case page (``get_case`` refuses another enterprise's case: a 403 page)."""
    found = services().cases.reads.get_case(current_actor(), case_id)
    context = bundle_context(found.bundle, found.bundle_version)
    material_names = {m["key"]: m["name"] for m in context["materials"]}
    return render_template(
        "ui/applicant/case.html", case=found, names=context["names"], material_names=material_names,
        case_words=said(CASE_WORDS, str(found.status)), item_words=lambda s: said(ITEM_WORDS, str(s)),
        answers=answer_rows(found), ratings=RATINGS, problem=problem, detail=detail), status


def _material_names(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Material key → its name in the page's language, for the bundles of these cases."""
    names: dict[str, str] = {}
    for code in {row["bundle"] for row in rows}:
        names.update({m["key"]: m["name"] for m in bundle_context(code)["materials"]})
    return names
