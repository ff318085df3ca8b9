"""The JSON API v1 under ``/api/v1`` (shared/API.md), documented as OpenAPI 3 by flask-smorest."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException

from domain.shared.text import is_storable_text
from web.api.core import actor
from web.api.json_body import MalformedBody, read_json
from web.api.openapi import CommonAnswers
from web.api.schemas import ErrorOut
from web.errors import error_response

PREFIX = "/api/v1"
# Answered without a token (everything else needs one) …
OPEN_PATHS = ("/auth/token", "/certificates/", "/openapi.json", "/docs", "/applicants/register")
TOKEN_UNDER_OPEN = ("/document",)  # … and so do these ends of an open path (an e-licence's PDF: the holder's)


def is_open_path(path: str) -> bool:
    """Whether ``path`` (under /api/v1, or an OpenAPI path) is answered without a token."""
    return any(path.startswith(PREFIX + p) for p in OPEN_PATHS) and not path.endswith(TOKEN_UNDER_OPEN)
MAX_BODY_BYTES = 64 * 1024  # no request body of this API needs more


class OneThingApi(Api):
    """flask-smorest's Api, answering every HTTP error in the contract's error model (and documenting it so)."""

    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        fields = _fields(data.get("messages") or data.get("errors") or {})
        message = error.description if isinstance(error.description, str) else error.name
        if fields:
            first = next(iter(fields.items()))
            message = f"{first[0]}: {'; '.join(first[1])}"
        code = {400: "malformed", 413: "too_large", 429: "too_many_requests"}.get(
            error.code or 500, error.name.lower().replace(" ", "_"))
        if error.code == 422:
            code = "invalid_input"
        response = error_response(error.code or 500, code, message, fields or None)
        for name, value in error.get_headers():  # Allow of a 405, WWW-Authenticate, Retry-After …
            if name.lower() != "content-type":
                response.headers[name] = value
        return response


def _fields(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' {"json": {"applicant": {"name": [...]}}} as {"applicant.name": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema" or (key in ("json", "query", "headers") and not prefix):
                name = prefix  # webargs' location names and marshmallow's "_schema" are not fields
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_fields(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    return flat


def _unstorable_input() -> str | None:
    """The name of the first part of the path, query or headers holding text no database can store, if any."""
    parts: list[tuple[str, Any]] = [("path", request.path), ("Idempotency-Key",
                                                             request.headers.get("Idempotency-Key", ""))]
    parts += [(f"query.{k}", [k, *request.args.getlist(k)]) for k in request.args]
    for name, value in parts:
        if not _storable(value):
            return name
    return None


def _refuse_unstorable(where: str | None) -> Response | None:
    if not where:
        return None
    return error_response(422, "invalid_input", f"{where}: control characters are not allowed",
                          {where: ["control characters are not allowed"]})


def _storable(value: Any) -> bool:
    if isinstance(value, str):
        return is_storable_text(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def register(app: Flask) -> None:
    """Mount the API, its OpenAPI document and an offline Swagger UI."""
    if not app.config.get("MAX_CONTENT_LENGTH"):  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config.update(
        API_TITLE="OneThing API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX, OPENAPI_JSON_PATH="openapi.json", OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{PREFIX}/docs/assets/",
    )
    api = OneThingApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "extra_plugins": [CommonAnswers(is_open_path)]})
    from web.api import admin as views_admin
    from web.api import applicants as views_applicants
    from web.api import audit as views_audit
    from web.api import auth as views_auth
    from web.api import boards as views_boards
    from web.api import calendar as views_calendar
    from web.api import cases as views_cases
    from web.api import credit as views_credit
    from web.api import limits
    from web.api import me as views_me
    from web.api import notifications as views_notifications
    from web.api import petitions as views_petitions
    from web.api import public as views_public

    limits.init(app)
    for module in (views_auth, views_public, views_cases, views_boards, views_admin, views_calendar, views_petitions,
                   views_audit, views_applicants, views_credit, views_me, views_notifications):
        api.register_blueprint(module.blp, url_prefix=PREFIX + (module.blp.url_prefix or ""))

    @app.before_request
    def guard() -> Response | None:
        """Refuse text no database can store, authenticate, and read a JSON body strictly, before any view runs."""
        if not request.path.startswith(PREFIX):
            return None
        refused = _refuse_unstorable(_unstorable_input())
        if refused:
            return refused
        if not is_open_path(request.path):
            actor()  # 401 now if there is no valid token: an anonymous body is never read
        raw = request.get_data(cache=True) if request.is_json else b""  # what webargs would parse later
        if not raw:
            return None
        try:
            body = read_json(raw)
        except MalformedBody as problem:
            return error_response(400, "malformed", f"body: {problem}", {"body": [str(problem)]})
        return _refuse_unstorable("body" if not _storable(body) else None)

    @app.get(f"{PREFIX}/docs/assets/<path:name>")
    def swagger_assets(name: str) -> Response:
        """Swagger UI's files, vendored by the swagger-ui-bundle package (no CDN)."""
        return send_from_directory(swagger_ui_path, name)
