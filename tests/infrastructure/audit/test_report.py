"""The PDF audit report: a real PDF, Chinese text drawn with an embedded CJK font, the verdict, the chain head.

The report dict is built by hand in the shape ``AuditService.report`` returns, so no database is needed.
The PDF tests need WeasyPrint (and the system Pango it loads) and skip, saying so, only if it cannot import;
CI installs it and ``fonts-noto-cjk``.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from infrastructure.audit.report import local_time, render_audit_html, render_audit_pdf, short_hash
from tests.infrastructure.weasyprint_marker import needs_weasyprint

NUMBER = "YWB-20250301-0007"
HASHES = ["a1" * 32, "b2c3" * 16, "d4e5f6a7" * 8]
OPENED_ZH = "受理人员受理了企业开办一件事申请，共三个事项。"
REJECT_ZH = "市场监管局退回了营业执照事项：材料不齐全。"
SCRIPT = "<script>alert('x')</script> & 补正"


def _report(ok: bool = True) -> dict[str, Any]:
    history = [
        {"position": 1, "type": "Opened", "at": datetime(2025, 3, 1, 1, 5, 30, tzinfo=UTC),
         "actor": {"user_id": "intake-01", "role": "intake", "department": "政务服务中心"},
         "reason": None, "data": {"items": []},
         "text": {"zh": OPENED_ZH, "en": "Intake opened the case with three items."},
         "hash": HASHES[0], "prev_hash": None},
        {"position": 2, "type": "ItemRejected", "at": datetime(2025, 3, 1, 15, 59, tzinfo=UTC),
         "actor": {"user_id": "reviewer-07", "role": "reviewer", "department": "市场监管局"},
         "reason": SCRIPT, "data": {"item": "license"},
         "text": {"zh": REJECT_ZH, "en": "SAMR returned the business licence item."},
         "hash": HASHES[1], "prev_hash": HASHES[0]},
        {"position": 3, "type": "Withdrawn", "at": datetime(2025, 3, 2, 9, 0, tzinfo=UTC),
         "actor": {"user_id": "intake-01", "role": "intake", "department": None},
         "reason": "申请人撤回", "data": {},
         "text": {"zh": "申请人撤回了办件。", "en": "The applicant withdrew the case."},
         "hash": HASHES[2], "prev_hash": HASHES[1]},
    ]
    broken = [] if ok else [{"case": "6f1d2c3e-0000-4000-8000-000000000001", "application": "OneThing",
                             "position": 2, "problem": "hash does not match the event's content"}]
    return {
        "case": {"id": "6f1d2c3e-0000-4000-8000-000000000001", "number": NUMBER, "bundle": "enterprise-opening",
                 "bundle_version": 2, "status": "withdrawn",
                 "applicant": {"name": "杭州示例科技有限公司", "credit_code": "91330100MA2XXXXX1X"}, "version": 3},
        "history": history, "chain_head": HASHES[2],
        "verify": {"ok": ok, "cases_checked": 1, "events_checked": 3, "broken": broken, "checkpoints_checked": 1,
                   "checkpoint_problems": [], "not_yet_logged": 0},
    }


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _squeeze(text: str) -> str:
    """Extracted text without the whitespace and line breaks layout puts between glyphs."""
    return re.sub(r"\s+", "", text)


def _font_names(pdf: bytes) -> set[str]:
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font")
        for font in (fonts.get_object().values() if fonts else []):
            names.add(str(font.get_object()["/BaseFont"]))
    return names


# ---------------------------------------------------------------- pure parts (no WeasyPrint)


def test_times_are_shown_in_shanghai_to_the_minute():
    assert local_time(datetime(2025, 3, 1, 15, 59, 59, tzinfo=UTC)) == "2025-03-01 23:59"
    assert local_time(datetime(2025, 3, 1, 16, 0)) == "2025-03-02 00:00"  # naive: the store's UTC
    assert local_time("2025-03-01T01:05:30+00:00") == "2025-03-01 09:05"
    assert local_time(None) == "—"


def test_hashes_are_cut_to_16_hex():
    assert short_hash(HASHES[1]) == HASHES[1][:16]
    assert short_hash(None) == "—"


def test_html_escapes_what_the_record_says():
    html = render_audit_html(_report(), generated_at=datetime(2025, 3, 3, tzinfo=UTC))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 补正" in html
    assert HASHES[2] in html  # the chain head in full
    assert "2025-03-03 08:00" in html  # generated at, in Shanghai


# ---------------------------------------------------------------- the PDF


@needs_weasyprint
def test_verified_report_is_a_pdf_with_the_case_verdict_head_and_chinese_history():
    pdf = render_audit_pdf(_report())
    assert pdf.startswith(b"%PDF")
    flat = _squeeze(_text(pdf))
    assert NUMBER in flat
    assert "校验通过" in flat and "校验失败" not in flat
    assert "办件审计报告" in flat
    assert HASHES[2][:16] in flat
    assert _squeeze(OPENED_ZH) in flat  # CJK drawn from a real font, not tofu
    assert "杭州示例科技有限公司" in flat and "91330100MA2XXXXX1X" in flat
    assert "2025-03-0109:05" in flat  # position 1's time in Shanghai
    assert "第1页/Page1" in flat  # the footer


@needs_weasyprint
def test_failed_report_says_so_and_names_the_broken_position():
    text = _squeeze(_text(render_audit_pdf(_report(ok=False))))
    assert "校验失败/FAILED" in text and "校验通过" not in text
    assert "第2号事件position2" in text
    assert _squeeze("hash does not match the event's content") in text


@needs_weasyprint
def test_markup_in_a_reason_is_printed_not_interpreted():
    text = _squeeze(_text(render_audit_pdf(_report())))
    assert _squeeze("<script>alert('x')</script> & 补正") in text


@needs_weasyprint
def test_a_noto_cjk_font_is_embedded():
    fonts = _font_names(render_audit_pdf(_report()))
    plain = {re.sub(r"[^A-Za-z]", "", name.split("+")[-1]) for name in fonts}  # /ABCDEF+Noto-Sans-CJK-SC
    assert any(name.startswith(("NotoSansCJK", "NotoSansSC")) for name in plain), fonts


@needs_weasyprint
def test_a_long_history_runs_onto_further_pages():
    report = _report()
    entry = report["history"][1]
    report["history"] = [{**entry, "position": n} for n in range(1, 80)]
    text = _squeeze(_text(render_audit_pdf(report)))
    assert "第2页/Page2" in text
    assert "79" in text


def test_a_missing_weasyprint_is_named(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(RuntimeError, match="Python package 'weasyprint'"):
        render_audit_pdf(_report())


def test_a_missing_pango_is_named(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(RuntimeError, match="Pango"):
        render_audit_pdf(_report())
