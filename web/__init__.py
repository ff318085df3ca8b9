"""The web layer: the Flask app factory (UI and JSON API grow here in later issues)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from web.services import Settings, build_services


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app and everything it needs (nothing is built at import time)."""
    app = Flask(__name__)
    settings = (config or {}).get("SETTINGS") or Settings.from_env()
    app.config.update(SECRET_KEY=settings.secret_key or None, JSON_AS_ASCII=False)
    app.config.update(config or {})
    if "SERVICES" not in app.config:
        app.config["SERVICES"] = build_services(settings)
    from web import errors, public

    errors.register(app)
    app.register_blueprint(public.bp)
    return app
