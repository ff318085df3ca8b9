"""Public pages: the published catalogue, and a health check for load balancers."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Show the published bundles (from the read models)."""
    queries = current_app.config["SERVICES"].queries
    return render_template("index.html", bundles=queries.published_bundles(), departments=queries.departments())


@bp.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    """Answer whether the event store can be read."""
    services = current_app.config["SERVICES"]
    services.cases.recorder.max_notification_id()
    return jsonify(ok=True)
