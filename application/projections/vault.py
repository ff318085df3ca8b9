"""The applicant's vault (数字保险箱): every file an enterprise ever submitted, kept once per digest.

Its e-licences are the certificates of ``rm_certificates`` held by its credit code (``CaseReadModel``); this
projection adds the files. Paper kept on file has no bytes and no place in the vault; a reused file counts
as used again, and an e-licence's PDF stays with the licences.
"""

from __future__ import annotations

import json

from application.projections.base import Change, ReadModel, ViewSession, handles, required
from domain.case.aggregate import Case
from domain.shared.values import MaterialSource

VAULT_FILES, VAULT_CASES = "rm_vault_files", "rm_vault_cases"
VAULT_SOURCES = (MaterialSource.UPLOAD, MaterialSource.VAULT)
_ENCODER = json.JSONEncoder(ensure_ascii=False)  # json.dumps with options makes one per call


class VaultReadModel(ReadModel):
    """Cases → rm_vault_files (and rm_vault_cases, what it needs of each case)."""

    name = "vault"
    applications = ("Cases",)
    tables = (VAULT_FILES, VAULT_CASES)
    weight = 0.3

    @handles(Case.Opened)
    def on_opened(self, change: Change, e: Case.Opened, view: ViewSession) -> None:
        names = {m["key"]: m["name"] for m in e.materials}
        view.insert(VAULT_CASES, {"case_id": change.key, "number": e.number,
                                  "credit_code": e.applicant["credit_code"],
                                  "material_names": _ENCODER.encode(names)})

    @handles(Case.MaterialSubmitted)
    def on_material_submitted(self, change: Change, e: Case.MaterialSubmitted, view: ViewSession) -> None:
        if e.source not in VAULT_SOURCES:
            return
        case = view.get(VAULT_CASES, (change.key,))
        case = case if case is not None else required(case, f"vault case {change.key}")
        key = (case["credit_code"], e.sha256)
        known = view.get(VAULT_FILES, key)
        if known is not None:
            view.put(VAULT_FILES, {**known, "last_used": e.timestamp, "uses": known["uses"] + 1})
            return
        view.insert(VAULT_FILES, {
            "credit_code": case["credit_code"], "sha256": e.sha256, "key": e.key,
            "name": json.loads(case["material_names"]).get(e.key, e.key), "filename": e.filename, "size": e.size,
            "media_type": e.media_type, "first_case": case["number"], "first_at": e.timestamp,
            "last_used": e.timestamp, "uses": 1,
        })
