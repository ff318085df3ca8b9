"""E-licences (电子证照): each released certificate as signed metadata, a public check, a PDF document.

发证 — a certificate released when its case completed is an e-licence: its GB/T 36903 metadata signed with the
e-licence key (Ed25519, outside the database). 亮证 — the holder, or whoever may read its case, downloads it as a
PDF carrying the metadata, the signature and a QR code to the public check, rendered now, so a revoked licence
shows as revoked. 查证 — anyone checks a number (``public_check``); ``onething certificates verify FILE``
checks a downloaded PDF offline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from application.cases.application import CaseApplication
from application.cases.disclosure import public_certificate
from application.cases.queries import Queries
from application.common.errors import ApplicationError
from application.licences.metadata import Licence, LicenceSigner, canonical, metadata

# (licence, signature, check_url) → the PDF (``infrastructure.licences.document.render_licence_pdf``)
RenderLicence = Callable[[Licence, Mapping[str, str], str], bytes]
Row = dict[str, Any]


class LicenceKeyMissing(ApplicationError):
    """Raised when e-licences are asked for before the e-licence key exists (HTTP 503)."""

    code = "licence_key_missing"


class Licences:
    """What the system does with e-licences: sign, check, render."""

    def __init__(self, cases: CaseApplication, queries: Queries, signer: LicenceSigner, render: RenderLicence,
                 jurisdiction_code: str = "000000"):
        self.cases, self.queries, self.signer, self.render = cases, queries, signer, render
        self.jurisdiction_code = jurisdiction_code

    def licence(self, number: str) -> Licence:
        """The released certificate ``number`` as an e-licence (``NotFound`` if none was released)."""
        return self._licence(self.queries.certificate(number))

    def signature(self, licence: Licence) -> dict[str, str]:
        """The e-licence key's signature over the licence's metadata (Ed25519: the same every time)."""
        if not self.signer.available:
            raise LicenceKeyMissing("no e-licence key: the operator runs `onething certificates keygen` once")
        return self.signer.sign(canonical(metadata(licence)))

    def public_check(self, number: str) -> Row:
        """The public answer: genuine (released by this system, signed by its key), its status, type, holder
        (its credit code masked), date, and the GB/T 36903 metadata with the signature over it, as the
        licence itself carries them."""
        row = self.queries.certificate(number)
        licence = self._licence(row)
        return {**public_certificate(row), "metadata": metadata(licence), "signature": self.signature(licence),
                "valid_from": licence.valid_from, "valid_to": licence.valid_to}

    def document(self, actor: Any, number: str, check_url: str) -> bytes:
        """The e-licence as PDF for whoever may read its case (the holder's case)."""
        row = self.queries.certificate(number)
        self.cases.reads.get_case(actor, row["case_id"])  # raises unless the actor may see the case
        return self.pdf(number, check_url)

    def pdf(self, number: str, check_url: str) -> bytes:
        """The e-licence as PDF, rendered now (its status as it stands), without an access check: for the
        holder's own use of it as a material (``Materials.reuse_licence``) and for ``document``."""
        licence = self.licence(number)
        return self.render(licence, self.signature(licence), check_url)

    def _licence(self, row: Row) -> Licence:
        department = self.queries.departments().get(row.get("department") or "", {})
        issued_on: date = row["issued_on"]
        return Licence(
            number=row["number"], type_code=row["type"], licence_name=row["name"],
            issuer=department.get("name") or row.get("department") or "", issuer_code=row.get("department") or "",
            holder=row["holder_name"], holder_code=row["holder_code"], issued_on=issued_on,
            valid_from=row.get("valid_from") or issued_on, valid_to=row.get("valid_to"),
            jurisdiction_code=self.jurisdiction_code, status=row["status"],
        )
