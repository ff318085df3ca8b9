"""One place that maps application and domain errors to HTTP statuses and JSON bodies."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from application import errors as app_errors
from application.tokens import Unauthenticated
from domain import errors as domain_errors
from domain.errors import DomainError

STATUS = {  # the first matching class wins: specific ones first
    Unauthenticated: 401,
    app_errors.InvalidInput: 422,
    app_errors.NotFound: 404,
    app_errors.NotAllowed: 403,
    app_errors.VersionConflict: 409,
    app_errors.AlreadyExists: 409,
    app_errors.Busy: 503,
    domain_errors.UnknownItem: 404,
    domain_errors.UnknownMaterial: 404,
    domain_errors.EscalationNotFound: 404,
    domain_errors.InvalidValue: 422,
    domain_errors.ReasonRequired: 422,
    domain_errors.InvalidRating: 422,
    domain_errors.InvalidBundle: 422,
    DomainError: 409,  # a rule of the case forbids it now
}


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
        return error_response(status_of(error), getattr(error, "code", "error"), str(error), fields,
                              current_version=getattr(error, "current_version", None))
