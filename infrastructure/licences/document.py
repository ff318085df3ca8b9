"""The e-licence as a PDF: the page a person reads, and the signed record a program checks, in one file.

``render_licence_pdf`` fills ``templates/licence.html`` (Chinese first, then English; A4) with the metadata, a QR
code of the public check, the key id and the signature, and a large red mark when the licence is revoked or
void; it embeds ``licence.json`` — ``{"metadata", "signature", "status", "check_url"}`` — as a PDF file
attachment, which ``infrastructure.licences.verify`` reads back. Only the metadata is signed: the status and
the check URL say what the server knew when it rendered the file (see the README, E-licences).
Rendering the same licence twice gives the same attachment, byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import segno
from jinja2 import Template

from application.licences.metadata import Licence, metadata
from domain.shared.values import CertificateStatus
from infrastructure.common.pdf import load_weasyprint, template_environment

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "licence.html"
ATTACHMENT = "licence.json"
STATUS_WORDS = {
    CertificateStatus.HELD.value: ("待发放", "held until the case completes"),
    CertificateStatus.VALID.value: ("有效", "valid"),
    CertificateStatus.REVOKED.value: ("已撤销", "revoked"),
    CertificateStatus.VOID.value: ("作废", "void"),
}
UNSPECIFIED_JURISDICTION = "000000"
MARKS = {  # the stamp across a licence that no longer holds
    CertificateStatus.REVOKED.value: ("已撤销", "REVOKED"),
    CertificateStatus.VOID.value: ("作废", "VOID"),
}


def licence_record(licence: Licence, signature: Mapping[str, str], check_url: str) -> dict[str, Any]:
    """The machine-readable part of the document: metadata, signature, status and the public check's URL."""
    return {"metadata": metadata(licence), "signature": dict(signature), "status": licence.status,
            "check_url": check_url}


def render_licence_pdf(licence: Licence, signature: Mapping[str, str], check_url: str) -> bytes:
    """Render an e-licence as an A4 PDF with ``licence.json`` attached.

    Raises ``RuntimeError`` naming what is missing if WeasyPrint or the Pango library it needs cannot load.
    """
    weasyprint = load_weasyprint()
    record = json.dumps(licence_record(licence, signature, check_url), ensure_ascii=False, sort_keys=True, indent=1)
    issued = datetime.combine(licence.issued_on, time(), UTC)  # not now: two renders attach the same file
    attachment = weasyprint.Attachment(
        string=record, name=ATTACHMENT, description="电子证照元数据与签名 / e-licence metadata and signature",
        created=issued, modified=issued, relationship="Data",
    )
    html = render_licence_html(licence, signature, check_url)
    return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(attachments=[attachment]))


def render_licence_html(licence: Licence, signature: Mapping[str, str], check_url: str) -> str:
    """The document as the HTML the PDF is laid out from (no WeasyPrint needed)."""
    qr = segno.make(check_url, error="m", micro=False).svg_data_uri(scale=4)
    return _template().render(licence=licence, signature=signature, check_url=check_url, qr=qr,
                              mark=MARKS.get(licence.status),
                              status=STATUS_WORDS.get(licence.status, (licence.status, licence.status)),
                              unspecified_jurisdiction=licence.jurisdiction_code == UNSPECIFIED_JURISDICTION)


@cache
def _template() -> Template:
    return template_environment(TEMPLATES).get_template(TEMPLATE)
