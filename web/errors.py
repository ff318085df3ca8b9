"""One place that maps application and domain errors to HTTP statuses and JSON bodies.

A database that cannot be reached (stopped, restarting, a dropped connection, an exhausted pool) or that
stayed locked is an outage, not a fault of the request: it is answered 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging

import sqlalchemy.exc as sa_errors
from eventsourcing import persistence as es_errors
from flask import Flask, Response, jsonify

from application.common import errors as app_errors
from application.common.consistency import ReadModelsBehind
from application.common.retry import is_lock_timeout
from application.licences.service import LicenceKeyMissing
from application.materials.files import FileTooLarge, UnsupportedFileType
from application.users.identity import OtpRequired
from application.users.tokens import Unauthenticated
from domain.enterprise.aggregate import UnknownAgent
from domain.shared import errors as domain_errors
from domain.shared.errors import DomainError

STATUS = {  # the first matching class wins: specific ones first
    Unauthenticated: 401,
    OtpRequired: 401,  # the password was right; send the one-time code too
    FileTooLarge: 413,
    UnsupportedFileType: 415,
    app_errors.InvalidInput: 422,
    app_errors.NotFound: 404,
    app_errors.NotAllowed: 403,
    app_errors.VersionConflict: 409,
    app_errors.AlreadyExists: 409,
    app_errors.Busy: 503,
    ReadModelsBehind: 503,  # with Retry-After: 1
    LicenceKeyMissing: 503,
    app_errors.Conflict: 409,
    domain_errors.UnknownItem: 404,
    UnknownAgent: 404,
    domain_errors.UnknownMaterial: 404,
    domain_errors.EscalationNotFound: 404,
    domain_errors.InvalidValue: 422,
    domain_errors.ReasonRequired: 422,
    domain_errors.InvalidRating: 422,
    domain_errors.InvalidBundle: 422,
    DomainError: 409,  # a rule of the case forbids it now
}


RETRY_AFTER_BUSY = 1  # seconds: another writer's lock is usually gone by then
RETRY_AFTER_UNAVAILABLE = 3  # seconds: a restarting database takes a few
OUTAGES: tuple[type[Exception], ...] = (  # eventsourcing's recorders and SQLAlchemy (read models, pool)
    es_errors.OperationalError, es_errors.InterfaceError, sa_errors.OperationalError, sa_errors.InterfaceError,
    sa_errors.DisconnectionError, sa_errors.TimeoutError,
)
NOT_OUTAGES = ("no such table", "no such column", "does not exist", "undefinedtable", "syntax error")
UNAVAILABLE_MESSAGE = ("the database cannot be reached just now; try again in a few seconds "
                       "(a retry with the same Idempotency-Key never writes twice)")
BUSY_MESSAGE = "the database is busy with other writes; nothing was saved, try again in a moment"
log = logging.getLogger(__name__)


def is_outage(error: Exception) -> bool:
    """Whether a database error says it is unreachable or locked for now (not that schema or SQL are wrong)."""
    text = f"{error} {getattr(error, 'orig', '')}".lower()
    return isinstance(error, OUTAGES) and not any(hint in text for hint in NOT_OUTAGES)


def with_retry_after(response: Response, seconds: int) -> Response:
    """``response`` with ``Retry-After: seconds``."""
    response.headers["Retry-After"] = str(seconds)
    return response


def status_of(error: Exception) -> int:
    """Return the HTTP status for an application or domain error."""
    for kind, status in STATUS.items():
        if isinstance(error, kind):
            return status
    return 500


def error_response(status: int, code: str, message: str, fields: dict | None = None, **extra: object) -> Response:
    """``{"error": {"code", "message", "fields"?, …}}`` with ``status``."""
    body: dict[str, object] = {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="onething"'
    return response


def register(app: Flask) -> None:
    """Answer application and domain errors as ``{"error": {"code", "message", "fields"?}}``.

    HTTP errors (404, 405, 413, 422 from validation …) are answered in the same shape by
    ``web.api.OneThingApi.handle_http_exception``, which flask-smorest registers for the whole app.
    """

    @app.errorhandler(app_errors.ApplicationError)
    @app.errorhandler(DomainError)
    def known(error: Exception) -> Response:
        fields = getattr(error, "fields", None)
        if not fields and getattr(error, "field", None):
            fields = {error.field: [str(error)]}  # type: ignore[attr-defined]
        status = status_of(error)
        response = error_response(status, getattr(error, "code", "error"), str(error), fields,
                                  current_version=getattr(error, "current_version", None))
        return with_retry_after(response, RETRY_AFTER_BUSY) if status == 503 else response

    for kind in OUTAGES:
        app.register_error_handler(kind, unavailable)


def unavailable(error: Exception) -> Response:
    """Answer a database outage 503 with ``Retry-After``; any other database error stays a logged 500."""
    if not is_outage(error):
        raise error
    log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    if is_lock_timeout(error):
        return with_retry_after(error_response(503, "busy", BUSY_MESSAGE), RETRY_AFTER_BUSY)
    return with_retry_after(error_response(503, "unavailable", UNAVAILABLE_MESSAGE), RETRY_AFTER_UNAVAILABLE)
