"""PDF audit report of one case: its state, the verification result, its chain head and its whole history.

``render_audit_pdf`` takes what ``application.audit.service.AuditService.report`` returns, fills the Jinja2 template
``infrastructure/audit/templates/audit_report.html`` and has WeasyPrint lay it out on A4 (fonts, escaping and
the late import of WeasyPrint: ``infrastructure.common.pdf``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Template

from infrastructure.common.pdf import load_weasyprint, template_environment

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "audit_report.html"
ZONE = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M"
SHORT_HASH = 16  # hex characters of a hash shown in the history table


def render_audit_pdf(report: Mapping[str, Any], generated_at: datetime | None = None) -> bytes:
    """Render one case's audit report (``AuditService.report``) as an A4 PDF; ``generated_at`` defaults to now.

    Raises ``RuntimeError`` naming what is missing if WeasyPrint or the Pango library it needs cannot load.
    """
    html = render_audit_html(report, generated_at)
    return load_weasyprint().HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def render_audit_html(report: Mapping[str, Any], generated_at: datetime | None = None) -> str:
    """The report as the HTML the PDF is laid out from (no WeasyPrint needed)."""
    verify = report.get("verify") or {}
    return _template().render(
        case=report["case"], history=report.get("history") or [], chain_head=report.get("chain_head"),
        verify=verify, verified=bool(verify.get("ok")), generated_at=generated_at or datetime.now(UTC),
        zone=ZONE.key,
    )


@cache
def _template() -> Template:
    return template_environment(TEMPLATES, local_time=local_time, short_hash=short_hash).get_template(TEMPLATE)


def local_time(value: datetime | str | None) -> str:
    """``YYYY-MM-DD HH:MM`` in Asia/Shanghai; a naive time is taken as UTC (as the event store records)."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZONE).strftime(TIME_FORMAT)


def short_hash(value: str | None) -> str:
    """The first 16 hex characters of a hash, or a dash when there is none."""
    return value[:SHORT_HASH] if value else "—"
