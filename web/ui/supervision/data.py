"""Where the supervision pages get their data: the supervision queries of this app, links to cases, and the
session's last write (so a list shown after an action includes it)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from werkzeug.routing import BuildError

from application.supervision.queries import SupervisionQueries
from web.ui.urls import services

CASE_ENDPOINT = "ui_case.show"


def supervision_queries() -> SupervisionQueries:
    """The supervision queries (built by the composition root, ``web.services``)."""
    return services().supervision_queries


def case_link(case_id: Any) -> str:
    """The case page of ``case_id`` (``/cases/<id>``, the case area's page)."""
    try:
        return url_for(CASE_ENDPOINT, case_id=str(case_id))
    except BuildError:  # the case area is not registered on this app: its address all the same
        return f"/cases/{case_id}"


def page_number() -> int:
    """The ``?page=`` asked for (1 when missing or not a number)."""
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


def bundle_names() -> dict[str, Any]:
    """Published bundles by code (names for lists and figures)."""
    return {row["code"]: row for row in services().queries.published_bundles()}
