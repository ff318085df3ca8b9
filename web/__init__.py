"""The web layer: the Flask app factory; the UI (``web.ui``), the JSON API (``web.api``) and the health check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from web.services import Settings, build_services


class IsoJSONProvider(DefaultJSONProvider):
    """Dates and times as ISO 8601 (Flask's default is the HTTP date format), UUIDs as text."""

    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, (date, datetime)):
            return o.isoformat()
        if isinstance(o, UUID):
            return str(o)
        return DefaultJSONProvider.default(o)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app and everything it needs (nothing is built at import time)."""
    app = Flask(__name__)
    app.json = IsoJSONProvider(app)
    from web.api import limits

    settings = (config or {}).get("SETTINGS") or Settings.from_env()
    app.config.update(SECRET_KEY=settings.secret_key or None, JSON_AS_ASCII=False, **limits.storage(settings.redis_url))
    app.config.update(config or {})
    if settings.proxy_hops:  # behind N trusted proxies: client addresses come from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]
    if "SERVICES" not in app.config:
        app.config["SERVICES"] = build_services(settings)
    from web import api, consistency, errors, headers, public, ui

    headers.register(app)  # first: its hook runs last and sees every header the others set
    errors.register(app)
    ui.init_ui(app)
    app.register_blueprint(public.bp)
    api.register(app)
    consistency.register(app)  # after the API's guard: only an authenticated request is made to wait
    return app
