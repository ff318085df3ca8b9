"""Signing in and out, changing one's password, choosing the language, and the home page."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from application.users.identity import OtpRequired
from application.users.password_rule import WeakPassword, Words
from application.users.sign_in import TooManySignIns
from web.api.limits import SIGN_IN_LIMIT, limiter, sign_in_limits_on
from web.ui.i18n import LOCALES, is_english
from web.ui.nav import links_for, start_endpoint
from web.ui.session import current_actor, requires, sign_in, sign_out, start_session
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
    username, errors, failed, wait = "", {}, False, 0
    ask_code = request.form.get("ask_code") == "1"  # the code field shows once a code was asked for
    if request.method == "POST":
        username = request.form.get("username", "")[:MAX_FIELD].strip()
        password = request.form.get("password", "")[:MAX_FIELD]
        code = request.form.get("otp", "")[:16].strip() or None
        if not username:
            errors["username"] = _("Enter your username.")
        if not password:
            errors["password"] = _("Enter your password.")
        if not errors:
            try:
                if sign_in(username, password, code):
                    return redirect(target or url_for("ui.home"))
                failed = True  # the same words whether the user exists, is disabled or typed a wrong password
            except TooManySignIns as error:
                wait = error.retry_after
            except OtpRequired:
                ask_code, errors["otp"] = True, _("Enter the code your authenticator app shows, with your password.")
    status = 429 if wait else 422 if errors or failed else 200  # a form shown again with its errors is a 422
    page = render_template("ui/login.html", username=username, errors=errors, failed=failed,
                           wait_minutes=math.ceil(wait / 60), next=target, ask_code=ask_code)
    return page, status, ({"Retry-After": str(wait)} if wait else {})


@bp.post("/logout")
def logout() -> Any:
    """Sign out and go to the home page."""
    if current_user.is_authenticated:
        sign_out()
        flash(_("You have signed out."), "info")
    return redirect(url_for("ui.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires()
def password() -> Any:
    """Change your own password: this session goes on, your other sessions and API tokens end."""
    errors: dict[str, str] = {}
    wait = 0
    if request.method == "POST":
        current = request.form.get("current_password", "")[:MAX_FIELD]
        new = request.form.get("new_password", "")[:MAX_FIELD + 1]  # one more: too long is said, not cut
        if new != request.form.get("confirm_password", "")[:MAX_FIELD + 1]:
            errors["confirm_password"] = _("The two new passwords differ.")
        else:
            try:  # a wrong current password counts like a failed sign-in of this account
                user = services().sign_ins.change_password(current_actor(), current, new,
                                                           request.remote_addr or "", sign_in_limits_on())
            except WeakPassword as error:
                errors[error.field] = _in_language(error.words)
            except TooManySignIns as error:
                wait = error.retry_after
                errors["current_password"] = _("Too many wrong passwords. Try again in %(minutes)s minutes.",
                                               minutes=math.ceil(wait / 60))
            else:
                start_session(user)  # a new session id, begun after the change: the only one left
                flash(_("Your password has been changed. Your other sessions have been signed out."), "success")
                return redirect(url_for("ui.dashboard"))
    page = render_template("ui/account_password.html", errors=errors)
    return page, 429 if wait else 422 if errors else 200, ({"Retry-After": str(wait)} if wait else {})


def _in_language(words: Words) -> str:
    return words.en if is_english() else words.zh


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

