"""Public pages, no sign-in: is a certificate genuine (by number or QR code), and how far is my case."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from stdnum.cn import uscc

from application.cases.disclosure import check_certificate
from application.common.errors import NotFound
from web.public_limits import certificate_check, progress_lookup
from web.ui.urls import services

bp = Blueprint("ui_public", __name__)
MAX_FIELD = 96  # the longest certificate or case number there is


@bp.get("/verify")
@certificate_check(only_with_number=True)  # per client address, one counter with the API's check
def verify() -> Any:
    """The certificate check form; with ``?number=`` also its result."""
    number = request.args.get("number", "")[:MAX_FIELD].strip()
    if "number" not in request.args:
        return render_template("ui/verify.html", number="", errors={}, checked=False)
    if not number:
        return render_template("ui/verify.html", number="", checked=False,
                               errors={"number": _("Enter the certificate number.")}), 422
    return _verify_result(number)


@bp.get("/verify/<string:number>")
@certificate_check()
def verify_number(number: str) -> Any:
    """The result of checking ``number`` (the address a certificate's QR code holds)."""
    return _verify_result(number[:MAX_FIELD].strip())


def _verify_result(number: str) -> Any:
    try:
        certificate = check_certificate(services().queries, number)  # never the case number or full code
    except NotFound:
        certificate = None
    link = url_for("ui_public.verify_number", number=number, _external=True)
    return render_template("ui/verify.html", number=number, errors={}, checked=True, certificate=certificate,
                           link=link), 200 if certificate else 404


@bp.route("/progress", methods=["GET", "POST"])
@progress_lookup()  # per client address: guessing case numbers or credit codes should be slow
def progress() -> Any:
    """Look up a case by its number and the applicant's credit code: its status and its items' only."""
    if request.method == "GET":
        return render_template("ui/progress.html", number="", credit_code="", errors={})
    number = request.form.get("number", "")[:MAX_FIELD].strip().upper()
    credit_code = uscc.compact(request.form.get("credit_code", "")[:MAX_FIELD])
    errors = {}
    if not number:
        errors["number"] = _("Enter the case number.")
    if not credit_code:
        errors["credit_code"] = _("Enter the unified social credit code.")
    elif not uscc.is_valid(credit_code):
        errors["credit_code"] = _("A unified social credit code has 18 characters; check the last one too.")
    found = None if errors else case_progress(number, credit_code)
    status = 422 if errors else 200 if found else 404
    return render_template("ui/progress.html", number=number, credit_code=credit_code, errors=errors,
                           checked=not errors, found=found), status


def case_progress(number: str, credit_code: str) -> dict[str, Any] | None:
    """The case's status and items if number and code both match (``Queries.case_progress``), with each
    item's department named."""
    progress = services().queries.case_progress(number, credit_code)
    if progress is None:
        return None
    departments = services().queries.departments()
    for item in progress["items"]:
        item["department"] = departments.get(item["department_code"])
    return progress
