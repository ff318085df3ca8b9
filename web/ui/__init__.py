"""The server-rendered web UI: sign-in, languages, the layout, error pages and the public pages.

``init_ui(app)`` is called by ``create_app`` before the other blueprints (its home page answers ``/``).
A new area of the UI is a module with a blueprint ``bp`` (named ``ui_<area>``; the API took the bare names),
guarded with ``web.ui.session.requires`` and listed in ``BLUEPRINTS`` below, with its header links
declared by ``web.ui.nav.nav_link``.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import Flask, g, request
from flask_babel import Babel, format_date
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from web.ui import auth, public
from web.ui.accounts import views as accounts_views
from web.ui.applicant import views as applicant_views
from web.ui.audit import views as audit_views
from web.ui.case import views as case_views
from web.ui.deadlines import deadline_colour
from web.ui.desk import views as desk_views
from web.ui.errors import UI_BLUEPRINTS, init_error_pages
from web.ui.i18n import (
    DEFAULT_LOCALE,
    HTML_LANG,
    LOCALES,
    TRANSLATIONS,
    compile_catalogues,
    current_locale,
    install_template_gettext,
    localized_name,
    role_label,
    select_locale,
    status_label,
)
from web.ui.nav import links_for
from web.ui.notifications import views as notification_views
from web.ui.qr import qr_svg
from web.ui.request_keys import new_request_key
from web.ui.review import queue as review_queue
from web.ui.session import init_session
from web.ui.supervision import views as supervision_views
from web.ui.urls import is_htmx, page_url, services

# Each area of the UI (add a new one here).
BLUEPRINTS = (auth.bp, public.bp, desk_views.bp, audit_views.bp, review_queue.bp, case_views.bp,
              supervision_views.bp, applicant_views.bp, accounts_views.bp, notification_views.bp)
API_PREFIX = "/api/"
log = logging.getLogger(__name__)

csrf = CSRFProtect()


def init_ui(app: Flask) -> None:
    """Set up sessions, CSRF, languages, error pages, the layout's helpers and the UI's blueprints."""
    settings = app.config["SERVICES"].settings
    app.config.update(SESSION_COOKIE_HTTPONLY=True,  # Flask has defaults for these: only a stricter value stays
                      SESSION_COOKIE_SAMESITE=app.config.get("SESSION_COOKIE_SAMESITE") or "Lax",
                      SESSION_COOKIE_SECURE=bool(app.config.get("SESSION_COOKIE_SECURE")) or settings.secure_cookies
                      or settings.production)
    for key, value in (("WTF_CSRF_CHECK_DEFAULT", False), ("WTF_CSRF_TIME_LIMIT", None),
                       ("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE), ("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))):
        app.config.setdefault(key, value)
    if "SERVICES" in app.config:
        app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["SERVICES"].settings.timezone)
    if not app.config.get("SECRET_KEY"):  # production refuses to start; development keeps a key file
        from web.secret_key import secret_key_for

        app.config["SECRET_KEY"] = secret_key_for(app.config["SERVICES"].settings)
    compile_catalogues()
    Babel(app, locale_selector=select_locale)
    install_template_gettext(app)
    csrf.init_app(app)
    init_session(app)
    init_error_pages(app)
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(_template_helpers())
    app.extensions[UI_BLUEPRINTS] = {bp.name for bp in BLUEPRINTS}
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)


def _check_csrf() -> Any:
    """Every form sent to the UI carries the CSRF token; the JSON API (bearer tokens) is exempt.

    Reading the token parses the body, so a body nobody needs is refused first, unread (``request_limits``).
    """
    from flask_wtf.csrf import CSRFError

    from web.ui.request_limits import refuse_unread_body  # here: the module imports the UI's blueprints
    from web.ui.urls import malformed_url

    if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and not request.path.startswith(API_PREFIX):
        refused = refuse_unread_body()
        if refused is not None:
            return refused
        if request.is_secure and malformed_url(request.referrer):  # Flask-WTF's Referer check would raise
            raise CSRFError("The referrer header is malformed.")
        csrf.protect()
    return None


def _template_helpers() -> dict[str, Any]:
    """What every template and macro may use (globals, so imported macros see them too)."""
    return {
        "LOCALES": LOCALES, "current_locale": current_locale, "html_lang": lambda: HTML_LANG[current_locale()],
        "nav_links": lambda: links_for(current_user.role) if current_user.is_authenticated else [],
        "role_label": role_label, "status_label": status_label, "localized_name": localized_name,
        "department_name": department_name, "due_colour": due_colour, "page_url": page_url, "qr_svg": qr_svg,
        "format_date": format_date, "messages_of": messages_of, "this_path": this_path, "is_htmx": is_htmx,
        "request_key": new_request_key,
    }


def messages_of(error: Any) -> list[str]:
    """A field's error(s) as a list of words: None, one message (str or lazy) or several."""
    if not error:
        return []
    if isinstance(error, (list, tuple)):
        return [str(message) for message in error]
    return [str(error)]


def this_path() -> str:
    """The path and query of this request (where a language switch comes back to)."""
    return request.full_path if request.query_string else request.path


def department_name(code: str | None) -> str:
    """A department's name in the UI's language (its code if the catalogue does not know it)."""
    if not code:
        return ""
    if "departments" not in g:  # once per request: a list shows many rows of few departments
        g.departments = services().queries.departments()
    return localized_name(g.departments.get(code), code)


def due_colour(due: date | None, started: date | None = None, status: str | None = None) -> str | None:
    """The deadline badge colour of an item due on ``due`` as of today (see ``web.ui.deadlines``)."""
    calendar = services().calendar
    return deadline_colour(due, services().clock.today(), calendar.working_days, started,
                           paused=status == "supplement_requested")
