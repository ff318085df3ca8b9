"""Pages of accounts: ``/apply/register`` (public: an enterprise and its legal representative), ``/me/agents``
(the representative authorises and revokes agents) and ``/me/security`` (two-step sign-in, for everyone).

Every decision is the application's (``application.applicants.accounts``, ``application.users.totp``); these
views read forms, show errors beside their fields, and start the new representative's session.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from application.common.errors import AlreadyExists, InvalidInput
from application.users.password_rule import WeakPassword
from application.users.sign_in import TooManySignIns
from domain.shared.errors import DomainError
from domain.shared.values import Role
from web.api.limits import sign_in_limits_on
from web.public_limits import registration
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires, start_session
from web.ui.urls import services

bp = Blueprint("ui_accounts", __name__)
nav_link(bp, "ui_accounts.agents", _l("Agents"), Role.APPLICANT, order=80)
nav_link(bp, "ui_accounts.security", _l("Two-step sign-in"), Role.APPLICANT, order=90)
MAX_FIELD = 256
REGISTER_FIELDS = ("credit_code", "enterprise_name", "representative_name", "username", "email", "phone")
AGENT_FIELDS = ("username", "display_name", "until", "email", "phone")


def _form(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "")[:MAX_FIELD].strip() for name in names}


def _field_errors(error: Exception) -> dict[str, str]:
    """An application error as words beside the field it names (``applicant.credit_code`` → ``credit_code``)."""
    fields = getattr(error, "fields", None) or {"form": [str(error)]}
    renamed = {"applicant.credit_code": "credit_code", "applicant.name": "enterprise_name",
               "current_password": "password", "new_password": "password"}
    return {renamed.get(name, name): "; ".join(messages) for name, messages in fields.items()}


@bp.route("/apply/register", methods=["GET", "POST"])
@registration()
def register() -> Any:
    """Register an enterprise for online filing with its legal representative's account; then signed in."""
    values, errors = _form(REGISTER_FIELDS), {}
    if request.method == "POST":
        password = request.form.get("password", "")[:MAX_FIELD + 1]
        if password != request.form.get("confirm_password", "")[:MAX_FIELD + 1]:
            errors["confirm_password"] = _("The two passwords differ.")
        else:
            try:
                services().accounts.register_enterprise(
                    values["credit_code"], values["enterprise_name"], values["representative_name"],
                    values["username"], password, email=values["email"] or None, phone=values["phone"] or None)
            except (InvalidInput, AlreadyExists, DomainError) as error:
                errors = _field_errors(error)
            else:
                start_session(services().users.view(values["username"]))
                flash(_("Your enterprise is registered. You can now file online and authorise agents."), "success")
                return redirect(url_for("ui.home"))
    page = render_template("ui/accounts/register.html", values=values, errors=errors)
    return page, 422 if errors else 200


@bp.route("/me/agents", methods=["GET", "POST"])
@requires(Role.APPLICANT)
def agents() -> Any:
    """The representative's agents (经办人): authorise one for some bundles or all, until a date."""
    accounts, actor = services().accounts, current_actor()
    listed = accounts.agents(actor)  # NotAllowed (403) for an agent: only the representative manages them
    values, errors = _form(AGENT_FIELDS), {}
    if request.method == "POST":
        chosen = request.form.getlist("bundles")
        try:
            accounts.authorise_agent(actor, values["username"], request.form.get("password", "")[:MAX_FIELD + 1],
                                     chosen or None, values["until"], display_name=values["display_name"],
                                     email=values["email"] or None, phone=values["phone"] or None)
        except (InvalidInput, AlreadyExists, DomainError) as error:
            errors = _field_errors(error)
        else:
            flash(_("The agent %(name)s may now act for your enterprise.", name=values["username"]), "success")
            return redirect(url_for("ui_accounts.agents"))
    bundles = services().queries.published_bundles()
    page = render_template("ui/accounts/agents.html", agents=listed, values=values, errors=errors, bundles=bundles,
                           today=services().clock.today())
    return page, 422 if errors else 200


@bp.post("/me/agents/<username>/revoke")
@requires(Role.APPLICANT)
def revoke(username: str) -> Any:
    """Revoke an agent at once: it is signed out everywhere."""
    reason = request.form.get("reason", "")[:2000].strip() or _("revoked by the legal representative")
    services().accounts.revoke_agent(current_actor(), username, reason)
    flash(_("The agent %(name)s can no longer act for your enterprise.", name=username), "success")
    return redirect(url_for("ui_accounts.agents"))


@bp.route("/me/security", methods=["GET", "POST"])
@requires()
def security() -> Any:
    """Two-step sign-in: turn it on (a QR code for the authenticator app, then a code) or off."""
    two_factor, actor = services().two_factor, current_actor()
    enrolment, errors, wait = None, {}, 0
    action = request.form.get("action", "") if request.method == "POST" else ""
    code = request.form.get("code", "")[:16].strip()
    try:
        if action == "enrol":
            enrolment = two_factor.enrol(actor)
        elif action == "confirm":
            services().sign_ins.confirm_totp(actor, request.form.get("password", "")[:MAX_FIELD], code,
                                             request.remote_addr or "", sign_in_limits_on())
            flash(_("Two-step sign-in is on: signing in now asks for a code."), "success")
            return redirect(url_for("ui_accounts.security"))
        elif action == "disable":
            services().sign_ins.disable_totp(actor, request.form.get("password", "")[:MAX_FIELD], code,
                                             request.remote_addr or "", sign_in_limits_on())
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("ui_accounts.security"))
    except WeakPassword:
        errors["password"] = _("The password is not correct.")
    except InvalidInput:
        errors["code"] = _("The code is not correct. Type the 6 digits your app shows now.")
    except TooManySignIns as error:
        wait = error.retry_after
        errors["password"] = _("Too many wrong passwords. Try again in %(minutes)s minutes.",
                               minutes=math.ceil(wait / 60))
    enabled = services().users.view(actor.user_id).totp_enabled
    page = render_template("ui/accounts/security.html", enabled=enabled, enrolment=enrolment, errors=errors,
                           confirming=action == "confirm" and bool(errors))
    return page, 429 if wait else 422 if errors else 200, ({"Retry-After": str(wait)} if wait else {})
