"""What every API view shares: who is calling, If-Match, the case representation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, g, jsonify, request, send_file, url_for

from application.cases.views import CaseView, ItemView
from application.common.errors import InvalidInput
from application.users.tokens import Unauthenticated
from domain.shared.values import Actor, CertificateStatus, Role
from web.services import Services


def services() -> Services:
    """The application services of this app."""
    return current_app.config["SERVICES"]


def actor() -> Actor:
    """Who presents the ``Authorization: Bearer`` token (401 if nobody valid does)."""
    if "actor" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send 'Authorization: Bearer TOKEN' (POST /api/v1/auth/token gives one)")
        g.actor = services().tokens.actor_for(token.strip())
        g.token = token.strip()
    return g.actor


def if_match() -> int | None:
    """The version an ``If-Match`` header asks for, if any (``3`` or ``"3"``)."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not re.fullmatch(r"[0-9]{1,10}", text):
        raise InvalidInput("If-Match: the case version the client saw, a whole number",
                           {"If-Match": ["a whole number"]})
    return int(text)


def case_response(saved: Any, status: int = 200) -> Response:
    """The case exactly as a write left it, with its version as ETag (and Location when created)."""
    from web.api.schemas import CaseOut

    reads = services().cases.reads
    who = actor()
    case = reads.as_saved(saved.id, saved.version, who)
    head = None if who.role == Role.APPLICANT else reads.chain_head(case.id, case.version)
    response = jsonify(CaseOut().dump({**case_json(case), "chain_head": head}))
    response.status_code = status
    response.headers["ETag"] = f'"{case.version}"'
    if status == 201:
        response.headers["Location"] = url_for("cases.read_case", case_id=str(case.id))
    return response


def case_json(case: CaseView) -> dict[str, Any]:
    """A case as the API returns it (shared/API.md); its due date follows prerequisites."""
    return {
        "id": case.id, "number": case.number, "bundle": case.bundle, "bundle_version": case.bundle_version,
        "version": case.version, "status": str(case.status), "channel": case.channel,
        "applicant": case.applicant, "owner": case.owner, "opened_at": case.created_on,
        "opened_on": case.opened_on, "closed_at": case.closed_at, "due": case.due,
        "items": [_item_json(item) for item in case.items.values()],
        "materials": [material.to_dict() for material in case.materials.values()],
        "deficiencies": {key: due.isoformat() for key, due in case.deficiencies.items()},
        "escalations": [e.to_dict() for e in case.escalations], "rating": case.rating,
        "answers": dict(case.answers), "pre_review": case.pre_review, "follow_up": case.follow_up,
    }


def _item_json(item: ItemView) -> dict[str, Any]:
    certificates = [c.to_dict() for c in item.certificates]
    released = [c for c in certificates if c.get("status") != CertificateStatus.HELD]
    return {
        "code": item.code, "name": item.name, "department": item.department, "status": str(item.status),
        "essential": item.essential, "time_limit_days": item.time_limit_days,
        "prerequisites": list(item.prerequisites), "accepted_on": item.accepted_on,
        "clock_started_on": item.clock_start, "due": item.due,
        "due_provisional": item.due_provisional,
        "inspection": item.inspection, "on_commitment": item.on_commitment, "assignee": item.assignee,
        "certificate": released[0] if released else None, "certificates": certificates,
        "findings": list(item.findings), "requested": list(item.requested), "request_reason": item.request_reason,
        "rejection_reason": item.rejection_reason,
    }


def error_docs(blp: Any, statuses: tuple[int, ...]) -> Callable[[Any], Any]:
    """A decorator documenting the error answers (``ErrorOut``) a blueprint's views may give."""
    from web.api.schemas import ErrorOut

    def document(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ErrorOut)(view)
        return view

    return document


def content_disposition(filename: str, download: bool) -> str:
    """``inline`` or ``attachment`` with the UTF-8 name (RFC 6266 ``filename*``) and, for tools that read only
    ``filename``, an ASCII one: the name's ASCII letters, or ``file.<ext>`` when that leaves nothing (a Chinese name)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c for c in ascii_name if c.isprintable() and c not in '"\\;').strip()
    stem, dot, extension = ascii_name.rpartition(".")
    if not (stem.strip() if dot else ascii_name):
        suffix = filename.rpartition(".")[2] if "." in filename else ""
        ascii_name = "file." + suffix if suffix.isascii() and suffix.isalnum() else "file"
    kind = "attachment" if download else "inline"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(filename: str, media_type: str, sha256: str, size: int, stream: Any,
                  download: bool = False) -> Response:
    """Stored bytes as a response: their own type (decided from the content when stored), shown inline or as an
    attachment with the UTF-8 file name (RFC 6266), ``ETag`` their sha256 (a matching ``If-None-Match`` is
    304), never sniffed by the browser, and sandboxed: a PDF or image cannot run script in OneThing's origin."""
    response = send_file(stream, mimetype=media_type or "application/octet-stream", as_attachment=download,
                         download_name=filename, etag=sha256, conditional=True, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(filename, download)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
