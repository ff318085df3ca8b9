"""The intake desk (一窗受理): choose a bundle, see its roadmap, open a case with its materials, print the receipt.

Intake officers only. The bundle list searches as the officer types (htmx asks for the table alone); the
credit code is checked as it is typed (``/desk/check-code`` answers a small fragment). Opening a case checks
everything before it saves anything (``web.ui.desk.forms``), so a refused form leaves no case behind.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from stdnum.cn import uscc

from application.cases.desk import DeskQueries
from application.common.errors import InvalidInput
from domain.catalogue.definitions import BundleDef
from domain.shared.errors import DomainError
from domain.shared.values import MaterialSource, Role
from web.ui.desk.forms import (
    CHANNELS,
    FromVault,
    IntakeForm,
    Received,
    credit_code_problem,
    keep_files,
    read_answer,
    read_form,
    rehearse,
)
from web.ui.desk.pages import bundle_context, receipt_context, roadmap_context
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.urls import is_htmx, services, whole_number

bp = Blueprint("ui_desk", __name__, url_prefix="/desk")
nav_link(bp, "ui_desk.index", _l("Intake desk"), Role.INTAKE, order=10)

PER_PAGE = 20
UPLOADS_PER_FORM = 4  # the form may carry this many scans of the largest size (ONETHING_MAX_UPLOAD_MB each)
OPEN_ENDPOINT = "ui_desk.open_case"


def desk_queries() -> DeskQueries:
    """The desk's queries (built by the composition root, ``web.services``)."""
    return services().desk_queries


@bp.get("")
@requires(Role.INTAKE)
def index() -> Any:
    """The published bundles, searched by code or name (the table alone when htmx asks for it)."""
    text = request.args.get("q", "")[:100].strip()
    number = request.args.get("page", "1")
    page = desk_queries().bundles(text, whole_number(number, 1, 99_999) or 1, PER_PAGE)
    template = "ui/desk/_bundles.html" if is_htmx() else "ui/desk/index.html"
    return render_template(template, page=page, text=text)


@bp.get("/bundles/<string:code>")
@requires(Role.INTAKE)
def bundle(code: str) -> Any:
    """A bundle's items, materials and roadmap from today (or ``?start=``), the critical path marked."""
    start_text = request.args.get("start", "").strip()[:32]
    error, start = None, None
    if start_text:
        try:
            start = date.fromisoformat(start_text)
        except ValueError:
            error = _("Enter a date such as %(example)s.", example=services().clock.today().isoformat())
    definition = services().catalogue.definition(code)[0]
    entered = IntakeForm()
    for question in definition.questions:  # the roadmap of this project: answers leave out what it does not need
        read_answer(entered, request.args, replace(question, required=False))
    answers = entered.answers if entered.answers else None
    try:
        roadmap = services().roadmaps.roadmap(code, start, answers)
    except (InvalidInput, DomainError):
        error, roadmap = _("Choose a date from 2000-01-01 to 2100-01-01."), services().roadmaps.roadmap(code)
    context = bundle_context(code, roadmap.version)
    context.update(roadmap_context(roadmap, context["names"]))
    return render_template("ui/desk/bundle.html", start=start_text, start_error=error, form=entered,
                           all_items=len(definition.items), **context), 422 if error or entered.errors else 200


@bp.route("/bundles/<string:code>/open", methods=["GET", "POST"])
@requires(Role.INTAKE)
def open_case(code: str) -> Any:
    """The form that opens a case of bundle ``code``; on success, the case's receipt."""
    context = bundle_context(code)
    if request.method == "GET":
        return render_template("ui/desk/open.html", form=IntakeForm(), channels=CHANNELS, **context)
    today, actor = services().clock.today(), current_actor()
    entered = read_form(request.form, request.files, context["definition"], today)
    problem = None if entered.errors else rehearse(entered, context["definition"], context["version"], actor,
                                                   today)
    if not entered.errors and not problem:  # all is right: store the scans, take the vault's (files first)
        keep_files(entered, lambda upload: services().materials.keep(upload.stream),
                   from_vault(context["definition"], uscc.compact(request.form.get("credit_code", "")[:64])))
    if entered.errors or problem:
        return render_template("ui/desk/open.html", form=entered, channels=CHANNELS, problem=problem,
                               **context), 422
    saved = services().cases.intake.open_case(
        actor, code, entered.applicant_name, entered.credit_code, entered.channel, entered.reason,
        materials=entered.materials(), deficiency=entered.deficiency(), answers=entered.answers)
    case_id = str(saved.id)
    flash(_("Case %(number)s is open.", number=saved.number), "success")
    return redirect(url_for("ui_desk.receipt", case_id=case_id), 303)


def from_vault(definition: BundleDef, code: str) -> FromVault:
    """Turn a vault choice of the form into the material it gives from the vault of ``code``, stored (an
    e-licence rendered now)."""
    materials = services().materials
    accepted = {m.key: tuple(m.licence_types) for m in definition.materials}

    def give(key: str, kind: str, value: str) -> Received:
        if kind == "file":
            filename, stored = materials.from_vault(code, value)
            return Received(filename, stored.sha256, stored.size, stored.media_type, str(MaterialSource.VAULT))
        stored = materials.from_licence(code, value, accepted.get(key, ()))
        return Received(f"{value}.pdf", stored.sha256, stored.size, stored.media_type, str(MaterialSource.LICENCE),
                        value)

    return give


@bp.get("/bundles/<string:code>/vault")
@requires(Role.INTAKE)
def vault_offers(code: str) -> Any:
    """The applicant's vault for this bundle's materials (htmx fills the form with it as the credit code is
    typed): files it submitted before and its valid e-licences of the types each material takes."""
    credit_code = uscc.compact(request.args.get("credit_code", "")[:64])
    context = bundle_context(code)
    offers: dict[str, list[dict[str, Any]]] = {}
    if credit_code and credit_code_problem(credit_code) is None:
        definitions = {m.key: {"licence_types": list(m.licence_types)} for m in context["definition"].materials}
        offers = services().materials.vault_offers(current_actor(), credit_code, definitions)
    return render_template("ui/desk/_vault.html", offers=offers, materials=context["materials"],
                           chosen=request.args)


@bp.post("/check-code")
@requires(Role.INTAKE)
def check_code() -> Any:
    """A fragment saying whether the credit code typed so far is valid (htmx swaps it under the field)."""
    code = request.form.get("credit_code", "")[:64]
    problem = credit_code_problem(code) if code.strip() else None
    return render_template("ui/desk/_code_check.html", code=code.strip(), problem=problem)


@bp.get("/cases/<string:case_id>/receipt")
@requires(Role.INTAKE)
def receipt(case_id: str) -> Any:
    """The printable receipt of a case: number, applicant, items with due dates, materials, a QR code."""
    context = receipt_context(current_actor(), case_id)
    case_page = url_for("ui_case.show", case_id=context["case_id"]) if "ui_case.show" in current_app.view_functions \
        else None
    return render_template("ui/desk/receipt.html", **context, case_page=case_page,
                           channel_label=lambda channel: str(CHANNELS.get(channel, channel)))


from web.ui.desk import pre_review  # noqa: E402,F401 - its views join this blueprint
