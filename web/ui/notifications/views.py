"""The applicant's inbox (``/me/notifications``, made for a phone) and the supervisor's deliveries page.

Applicants see their enterprise's notifications only (the application decides); supervisors and auditors
see the e-mail and SMS deliveries that failed or wait for another attempt, and supervisors retry one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from application.common.errors import NotAllowed, NotFound
from domain.shared.errors import DomainError
from domain.shared.values import Role
from web.ui.errors import error_page
from web.ui.i18n import is_english
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.supervision.data import page_number
from web.ui.urls import services

bp = Blueprint("ui_notifications", __name__)
nav_link(bp, "ui_notifications.inbox", _l("Notifications"), Role.APPLICANT, order=30)
nav_link(bp, "ui_notifications.deliveries", _l("Deliveries"), Role.SUPERVISOR, Role.AUDITOR, order=25)

PER_PAGE = 20
TABS = {"failed": _l("Failed"), "retrying": _l("Retrying"), "": _l("All")}
KINDS = {"accepted": _l("Accepted"), "returned": _l("Returned"), "supplement_requested": _l("Supplement requested"),
         "decided": _l("Decided"), "licences_ready": _l("Licences ready"), "rating_invited": _l("Rate the service")}
CHANNELS = {"inbox": _l("Inbox"), "email": _l("E-mail"), "sms": _l("SMS")}
STATES = {"pending": _l("Pending"), "sending": _l("Sending"), "sent": _l("Sent"), "retrying": _l("Retrying"),
          "failed": _l("Failed")}


@bp.get("/me/notifications")
@requires(Role.APPLICANT)
def inbox() -> Any:
    """What the applicant's enterprise was told about its cases, newest first."""
    page = services().notification_queries.inbox(current_actor(), page_number(), PER_PAGE)
    return render_template("ui/notifications/inbox.html", page=page, english=is_english(), kinds=KINDS,
                           channels=CHANNELS, states=STATES, when=format_datetime)


@bp.get("/supervision/deliveries")
@requires(Role.SUPERVISOR, Role.AUDITOR)
def deliveries() -> Any:
    """E-mail and SMS deliveries that failed or are retrying (or all), the latest changed first."""
    state = request.args.get("state", "failed")
    state = state if state in TABS else "failed"
    page = services().notification_queries.deliveries(current_actor(), state, page_number(), PER_PAGE)
    return render_template("ui/notifications/deliveries.html", page=page, tab=state, tabs=TABS, kinds=KINDS,
                           channels=CHANNELS, states=STATES, when=format_datetime,
                           may_retry=current_actor().role == Role.SUPERVISOR)


@bp.post("/supervision/deliveries/<delivery_id>/retry")
@requires(Role.SUPERVISOR)
def retry(delivery_id: str) -> Any:
    """Try a failed delivery again now; back to the list."""
    s = services()
    reason = request.form.get("reason", "")[:2000]
    try:
        s.notifications.retry(current_actor(), delivery_id, reason, s.clock.now())
    except (NotAllowed, NotFound) as error:
        return error_page(403 if isinstance(error, NotAllowed) else 404)
    except DomainError:
        flash(_l("Only a failed delivery can be retried; this one is not failed any more."), "error")
    else:
        flash(_l("The delivery will be tried again with the next notifier run."), "success")
    return redirect(url_for("ui_notifications.deliveries", state=request.form.get("state", "failed")))

