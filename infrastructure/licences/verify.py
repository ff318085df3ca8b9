"""Check a downloaded e-licence offline: its attached ``licence.json`` is signed by a known key, its page shows it.

Genuine means: the PDF opens, it has exactly one ``licence.json`` attachment, that record's signature verifies
over its twelve metadata fields with one of the given public keys, the page's text shows the licence number
and the holder's credit code, and the status the file was rendered with is neither revoked nor void. A licence
revoked after the file was downloaded still verifies here: the current status is the public check's
(``check_url``), which this offline check cannot ask.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader

from application.licences.metadata import WITHDRAWN_STATUSES
from infrastructure.licences.document import ATTACHMENT, MARKS
from infrastructure.licences.signing import verify_signature

SHOWN_FIELDS = ("number", "holder_code")  # what the page must show as the record says it


@dataclass(frozen=True)
class LicenceCheck:
    """The verdict on one e-licence file: genuine or not, and why not."""

    genuine: bool
    problems: list[str] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    status: str | None = None
    check_url: str | None = None
    key_id: str | None = None


def verify_licence_pdf(data: bytes, public_keys: Mapping[str, Ed25519PublicKey]) -> LicenceCheck:
    """Check an e-licence PDF with these public keys (by key id); never raises on a damaged file."""
    try:
        reader = PdfReader(io.BytesIO(data))
        records = reader.attachments.get(ATTACHMENT, [])
        text = "".join(page.extract_text() or "" for page in reader.pages)
    except Exception as error:  # noqa: BLE001 - hostile input: pypdf raises many kinds, each means "not readable"
        return LicenceCheck(False, [f"not a readable PDF: {error}"])
    if len(records) != 1:
        return LicenceCheck(False, [f"{len(records)} {ATTACHMENT} attachments in the file, not 1"])
    try:
        record = json.loads(records[0])
        fields, signature = record["metadata"], record["signature"]
        status, check_url = record.get("status"), record.get("check_url")
    except (ValueError, TypeError, KeyError) as error:
        return LicenceCheck(False, [f"{ATTACHMENT} is not a licence record: {error!r}"])
    if not isinstance(fields, dict):
        return LicenceCheck(False, [f"{ATTACHMENT} has no metadata object"])
    status = _text(status)  # a crafted record may hold anything here: only text is a status
    problems = _problems(fields, signature, status, _squeezed(text), public_keys)
    named = signature.get("key_id") if isinstance(signature, dict) else None
    return LicenceCheck(not problems, problems, fields, _text(status), _text(check_url), _text(named))


def _problems(fields: dict[str, Any], signature: Any, status: Any, text: str,
              public_keys: Mapping[str, Ed25519PublicKey]) -> list[str]:
    problems = []
    if not verify_signature(fields, signature, public_keys):
        named = signature.get("key_id") if isinstance(signature, dict) else None
        known = isinstance(named, str) and named in public_keys
        problems.append("the signature does not verify over the metadata" if known
                        else f"signed by an unknown key ({named!r}); known: {', '.join(public_keys) or 'none'}")
    for name in SHOWN_FIELDS:
        if not isinstance(fields.get(name), str) or _squeezed(fields[name]) not in text:
            problems.append(f"the page does not show the signed {name} {fields.get(name)!r}")
    marked = [zh + " " + en for zh, en in MARKS.values() if zh + en in text]
    if status in WITHDRAWN_STATUSES:
        problems.append(f"the licence is {status}")
    elif marked:  # a withdrawn licence's record edited back to valid: the page still bears the mark
        problems.append(f"the page is marked {marked[0]}, its record says {status!r}")
    return problems


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _squeezed(text: str) -> str:
    """Text without whitespace: extraction breaks long codes across lines and spaces out CJK characters."""
    return re.sub(r"\s+", "", text)
