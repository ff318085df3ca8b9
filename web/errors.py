"""One place that maps application and domain errors to HTTP statuses and JSON bodies."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from application import errors as app_errors
from domain import errors as domain_errors
from domain.errors import DomainError

STATUS = {  # the first matching class wins: specific ones first
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


def register(app: Flask) -> None:
    """Answer every error as ``{"error": {"code", "message", "fields"?}}``."""

    @app.errorhandler(app_errors.ApplicationError)
    @app.errorhandler(DomainError)
    def known(error: Exception):  # type: ignore[no-untyped-def]
        body = {"code": getattr(error, "code", "error"), "message": str(error)}
        if getattr(error, "fields", None):
            body["fields"] = error.fields  # type: ignore[attr-defined]
        return jsonify(error=body), status_of(error)

    @app.errorhandler(HTTPException)
    def http(error: HTTPException):  # type: ignore[no-untyped-def]
        return jsonify(error={"code": error.name.lower().replace(" ", "_"),
                              "message": error.description}), error.code
