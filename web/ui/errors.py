"""Error pages of the UI, in the UI's language and never with a stack trace.

The JSON API keeps its JSON errors: paths under ``/api/`` are always answered by the handlers the API
registered. Other paths get an HTML page when they belong to a UI blueprint or when the client asks for
HTML (a browser); a client that does not (``curl -H 'Accept: application/json'``, a health check) keeps
the JSON answer.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from application.common.errors import ApplicationError
from application.common.retry import is_lock_timeout
from domain.shared.errors import DomainError
from web.errors import OUTAGES, RETRY_AFTER_BUSY, RETRY_AFTER_UNAVAILABLE, is_outage, status_of, with_retry_after

log = logging.getLogger(__name__)
UI_BLUEPRINTS = "onething_ui_blueprints"
PAGE_CODES = (400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503)

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    409: _l("This cannot be done now"),
    413: _l("What you sent is too large"),
    422: _l("Some of what you entered is not valid"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is busy"),
}
MESSAGES = {
    400: _l("Reload the page and try again."),
    401: _l("Sign in to continue."),
    403: _l("Your role does not give access to this page. Go back to your start page or sign in as another user."),
    404: _l("The page you asked for does not exist or has moved. Check the address, or start again from the home "
            "page."),
    405: _l("Go back and use the page's own buttons and links."),
    409: _l("A rule of the case does not allow this at the moment, or someone changed it just now. Reload the page "
            "and look again."),
    413: _l("Send a smaller file or less text."),
    422: _l("Go back, correct what is marked and send it again."),
    429: _l("Please wait a minute before trying again."),
    500: _l("The error has been recorded. Please try again later; if it happens again, tell the help desk."),
    503: _l("Please try again in a moment."),
}
CSRF_MESSAGE = _l("The form has expired or was not sent from this site. Reload the page and send it again.")


def error_page(status: int, message: Any = None, detail: str | None = None) -> Response:
    """An HTML error page with ``status``, a title and a message in words (``message`` replaces the default)."""
    title = TITLES.get(status) or TITLES[500 if status >= 500 else 400]
    words = message or MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    try:
        body = render_template("ui/error.html", status=status, title=title, message=words, detail=detail)
    except Exception:  # noqa: BLE001 - the error page itself failed (the database is down …): plain words
        log.exception("the error page %s could not be rendered", status)
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(str(title))}</p>"
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def wants_html() -> bool:
    """Whether an error of this request is answered with a page (else with the API's JSON)."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return False
    if request.blueprint in current_app.extensions.get(UI_BLUEPRINTS, ()):
        return True
    return bool(request.accept_mimetypes.accept_html)


def init_error_pages(app: Flask) -> None:
    """Answer HTTP errors and application errors of UI pages with pages (call after ``web.errors.register``)."""
    for code in PAGE_CODES:
        app.register_error_handler(code, _http_error)
    for kind in (ApplicationError, DomainError):
        app.register_error_handler(kind, _known_error(app.error_handler_spec[None][None].get(kind)))
    for outage in OUTAGES:
        app.register_error_handler(outage, _outage(app.error_handler_spec[None][None].get(outage)))


def _http_error(error: HTTPException) -> Any:
    if not wants_html():
        api_handler = current_app.error_handler_spec[None][None].get(HTTPException)
        return api_handler(error) if api_handler else error
    status = error.code or 500
    if isinstance(error, CSRFError):
        return error_page(status, CSRF_MESSAGE)
    if isinstance(error, InternalServerError):
        return error_page(500)  # the exception was logged by Flask; its text is never shown
    response = error_page(status)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


def _known_error(previous: Any) -> Any:
    def handle(error: Exception) -> Any:
        if not wants_html() and previous is not None:
            return previous(error)
        status = status_of(error)
        response = error_page(status, detail=str(error) if status in (409, 422) else None)
        return with_retry_after(response, RETRY_AFTER_BUSY) if status == 503 else response

    return handle


def _outage(previous: Any) -> Any:
    """The "busy, try again" page (503, ``Retry-After``) while the database cannot be reached or stays locked."""

    def handle(error: Exception) -> Any:
        if not wants_html() and previous is not None:
            return previous(error)
        if not is_outage(error):
            raise error  # a fault, not an outage: Flask logs it and shows the 500 page
        log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
        seconds = RETRY_AFTER_BUSY if is_lock_timeout(error) else RETRY_AFTER_UNAVAILABLE
        return with_retry_after(error_page(503), seconds)

    return handle
