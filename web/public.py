"""The health check for load balancers (the public pages are the UI's: ``web.ui.public``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def health() -> Response:
    """Answer whether the event store can be read."""
    services = current_app.config["SERVICES"]
    services.cases.recorder.max_notification_id()
    return jsonify(ok=True)
