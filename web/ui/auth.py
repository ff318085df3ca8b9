"""Signing in and out, choosing the language, and the home page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from web.api.limits import SIGN_IN_LIMIT, limiter
from web.ui.i18n import LOCALES
from web.ui.nav import links_for, start_endpoint
from web.ui.session import requires, sign_in, sign_out
from web.ui.urls import local_path, same_site_path, services

bp = Blueprint("ui", __name__)
MAX_FIELD = 256  # no username or password is longer


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])  # per client address, like the API's sign-in
def login() -> Any:
    """Show the sign-in form; check it, and go on to ``next`` (a path on this site) or the start page."""
    target = local_path(request.values.get("next"), "")
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(target or url_for("ui.home"))
    username, errors, failed = "", {}, False
    if request.method == "POST":
        username = request.form.get("username", "")[:MAX_FIELD].strip()
        password = request.form.get("password", "")[:MAX_FIELD]
        if not username:
            errors["username"] = _("Enter your username.")
        if not password:
            errors["password"] = _("Enter your password.")
        if not errors:
            if sign_in(username, password):
                return redirect(target or url_for("ui.home"))
            failed = True  # the same words whether the user exists, is disabled or typed a wrong password
    status = 422 if errors or failed else 200  # the UI's rule: a form shown again with its errors is a 422
    return render_template("ui/login.html", username=username, errors=errors, failed=failed,
                           next=target), status


@bp.post("/logout")
def logout() -> Any:
    """Sign out and go to the home page."""
    if current_user.is_authenticated:
        sign_out()
        flash(_("You have signed out."), "info")
    return redirect(url_for("ui.home"))


@bp.route("/lang/<code>", methods=["GET", "POST"])
def language(code: str) -> Any:
    """Switch the UI's language (``zh_Hans_CN`` or ``en``) and go back to the page it was chosen on."""
    if code not in LOCALES:
        abort(404)
    session["lang"] = code
    return redirect(local_path(request.values.get("next") or same_site_path(request.referrer), url_for("ui.home")))


@bp.get("/")
def home() -> Any:
    """The public landing page; a signed-in user goes on to the start page of their role."""
    if current_user.is_authenticated:
        endpoint = start_endpoint(current_user.role)
        return redirect(url_for(endpoint)) if endpoint else redirect(url_for("ui.dashboard"))
    queries = services().queries
    return render_template("ui/home.html", bundles=queries.published_bundles(), departments=queries.departments())


@bp.get("/home")
@requires()
def dashboard() -> Any:
    """The pages of the signed-in user's role (and the public ones)."""
    return render_template("ui/dashboard.html", links=links_for(current_user.role))

