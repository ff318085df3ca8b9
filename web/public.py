"""Public pages: the published catalogue, and a health check for load balancers."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

bp = Blueprint("public", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Show the published bundles (the catalogue is small; read models arrive with issue 3)."""
    services = current_app.config["SERVICES"]
    departments = services.catalogue.departments()
    bundles = [services.catalogue.definition(code)[0] for code in sorted(services.catalogue.latest_versions())]
    versions = services.catalogue.latest_versions()
    return render_template("index.html", bundles=bundles, versions=versions, departments=departments)


@bp.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    """Answer whether the event store can be read."""
    services = current_app.config["SERVICES"]
    services.cases.recorder.max_notification_id()
    return jsonify(ok=True)
