"""Helpers for the e-licence PDF tests: skip without WeasyPrint, read a PDF's text, rewrite its licence.json."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

try:
    import weasyprint  # noqa: F401
except (ImportError, OSError) as error:  # the package, or the Pango library it loads
    WEASYPRINT_MISSING: str | None = f"weasyprint cannot import ({error}); PDF rendering is not testable here"
else:
    WEASYPRINT_MISSING = None

needs_weasyprint = pytest.mark.skipif(WEASYPRINT_MISSING is not None, reason=WEASYPRINT_MISSING or "")
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
