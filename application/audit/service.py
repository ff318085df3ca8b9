"""The auditor's side: verify the record, sign checkpoints, export one case's history.

Auditors may read and verify everything and change nothing: every method here checks that the actor is
an auditor, and no case command accepts an auditor (``application.common.access``). The checks themselves —
re-reading stored rows, Merkle trees, signatures — are infrastructure's, reached through ``AuditPorts``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from application.cases.application import CaseApplication
from application.common.errors import InvalidInput, NotAllowed
from domain.shared.values import Actor, Role

EXPORT_FORMATS = ("json", "csv")
CSV_COLUMNS = ("position", "at", "type", "text_zh", "text_en", "actor_id", "actor_role", "actor_department",
               "reason", "data", "hash", "prev_hash")
# A spreadsheet may run a cell that starts with one of these as a formula (OWASP "CSV injection": = + - @ TAB
# CR). Also caught, because quoting costs nothing: blanks before a sign (spreadsheets differ in trimming them),
# a leading line feed, and the full-width signs a Chinese input method types.
FORMULA_START = re.compile(r"[\t\r\n]|[ \u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class Verifier(Protocol):
    """What verification needs (``infrastructure.audit.verify.ChainVerifier``)."""

    def verify(self, originator_id: str | UUID | None = None) -> Any: ...


@dataclass
class AuditPorts:
    """Infrastructure the audit service uses."""

    verifier: Verifier
    follow: Callable[[], int]  # append new events to the audit log
    checkpoint: Callable[[bool], dict[str, Any] | None]  # sign a checkpoint (forced or if due)
    checkpoints: Callable[[], list[dict[str, Any]]]
    case_proof: Callable[[str, str, int | None], dict[str, Any]]  # application, case id, checkpoint size
    render_pdf: Callable[[dict[str, Any]], bytes] | None = None


def require_auditor(actor: Actor, doing: str) -> None:
    """Only auditors (the CLI's operator runs these without an actor)."""
    if actor.role != Role.AUDITOR:
        raise NotAllowed(f"only auditors may {doing}")


class AuditService:
    """Verification, checkpoints and exports."""

    def __init__(self, cases: CaseApplication, ports: AuditPorts):
        self.cases, self.ports = cases, ports

    def verify(self, actor: Actor | None, case_id: str | UUID | None = None) -> dict[str, Any]:
        """Check every chain (or one case's), the audit log and the signed checkpoints."""
        if actor is not None:
            require_auditor(actor, "verify the record")
        if case_id is not None:
            case_id = self._case_uuid(case_id)
        self.ports.follow()
        report = self.ports.verifier.verify(case_id)
        return {
            "ok": report.ok, "cases_checked": report.cases_checked, "events_checked": report.events_checked,
            "aggregates_checked": report.aggregates_checked,
            "broken": [{"case": b.originator_id, "application": b.application, "position": b.position,
                        "problem": b.problem} for b in report.broken],
            "checkpoints_checked": report.checkpoints_checked, "checkpoint_problems": report.checkpoint_problems,
            "not_yet_logged": report.not_yet_logged,
        }

    def checkpoint(self, actor: Actor | None, force: bool = True) -> dict[str, Any] | None:
        """Append new events to the log and sign a checkpoint over it now (auditors or the operator)."""
        if actor is not None:
            require_auditor(actor, "sign checkpoints")
        return self.ports.checkpoint(force)

    def checkpoints(self, actor: Actor) -> list[dict[str, Any]]:
        """Every signed checkpoint."""
        require_auditor(actor, "read checkpoints")
        return self.ports.checkpoints()

    def case_proof(self, actor: Actor | None, case_id: str | UUID, size: int | None = None) -> dict[str, Any]:
        """Inclusion proofs that every logged event of the case is in a signed checkpoint (the latest unless
        ``size``); checkable offline with the public key (``python verifier.py KEY.pem --proof FILE``)."""
        if actor is not None:
            require_auditor(actor, "read inclusion proofs")
        case = str(self._case_uuid(case_id))
        self.cases.load(case)  # an unknown case is a 404, not an empty proof
        try:
            proof = self.ports.case_proof("Cases", case, size)
        except LookupError as error:
            raise InvalidInput(str(error), {"size": [str(error)]}) from None
        return {"case": case, "application": "Cases", **proof}

    def report(self, actor: Actor | None, case_id: str | UUID) -> dict[str, Any]:
        """One case's audit report: its state, full history in words, chain head and verify result."""
        reader = actor or Actor("cli:audit", Role.AUDITOR)
        require_auditor(reader, "export a case's history")
        case = self.cases.reads.get_case(reader, case_id)
        history = self.cases.reads.history(reader, case_id)
        return {"case": {"id": str(case.id), "number": case.number, "bundle": case.bundle,
                         "bundle_version": case.bundle_version, "status": str(case.status),
                         "applicant": case.applicant, "version": case.version},
                "history": history, "chain_head": history[-1]["hash"] if history else None,
                "verify": self.verify(None, case.id)}

    def export(self, actor: Actor | None, case_id: str | UUID, fmt: str) -> tuple[bytes, str]:
        """One case's history as JSON, CSV or PDF: the bytes and their media type."""
        if fmt not in (*EXPORT_FORMATS, "pdf"):
            raise InvalidInput("format: json, csv or pdf", {"format": ["json, csv or pdf"]})
        report = self.report(actor, case_id)
        if fmt == "json":
            return json.dumps(report, ensure_ascii=False, indent=2, default=str).encode(), "application/json"
        if fmt == "csv":
            return _csv(report["history"]).encode("utf-8-sig"), "text/csv; charset=utf-8"
        if self.ports.render_pdf is None:
            raise InvalidInput("PDF export is not available on this server", {"format": ["pdf unavailable"]})
        return self.ports.render_pdf(report), "application/pdf"

    def _case_uuid(self, case_id: str | UUID) -> UUID:
        try:
            return case_id if isinstance(case_id, UUID) else UUID(str(case_id))
        except ValueError:
            raise InvalidInput("case: a case id (UUID)", {"case": ["a UUID"]}) from None


def csv_cell(value: Any) -> str:
    """A value as a CSV cell no spreadsheet runs as a formula: a cell that would start one gets a leading
    apostrophe (shown as text, the rest unchanged); plain numbers such as ``-5`` stay as they are."""
    text = "" if value is None else str(value)
    if FORMULA_START.match(text) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv(history: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for entry in history:
        writer.writerow({column: csv_cell(value) for column, value in {
            "position": entry["position"], "at": entry["at"].isoformat(), "type": entry["type"],
            "text_zh": entry["text"]["zh"], "text_en": entry["text"]["en"], "actor_id": entry["actor"]["user_id"],
            "actor_role": entry["actor"]["role"], "actor_department": entry["actor"].get("department") or "",
            "reason": entry["reason"], "data": json.dumps(entry["data"], ensure_ascii=False, default=str),
            "hash": entry["hash"], "prev_hash": entry["prev_hash"],
        }.items()})
    return out.getvalue()

