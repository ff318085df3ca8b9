"""Helpers for the e-licence PDF tests: read a PDF's text, rewrite its licence.json."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader, PdfWriter

CHECK_URL = "https://onething.example.gov.cn/certificates/YWB-20250301-0007-1-1"


def squeezed_text(pdf: bytes) -> str:
    """The PDF's text with no whitespace (extraction spaces out CJK characters and wraps long values)."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def record_of(pdf: bytes) -> dict[str, Any]:
    """The attached licence.json."""
    return json.loads(PdfReader(io.BytesIO(pdf)).attachments["licence.json"][0])


def rewrite_record(pdf: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The same PDF with its licence.json changed in place by ``change`` (with pypdf, as a forger would)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for attached in writer.attachment_list:
        if attached.name == "licence.json":
            record = json.loads(attached.content)
            change(record)
            attached.content = json.dumps(record, ensure_ascii=False).encode()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
