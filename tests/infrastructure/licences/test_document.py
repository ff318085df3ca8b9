"""The e-licence PDF: what its page shows, its document metadata and the signed record attached to it."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
import segno
from pypdf import PdfReader

from application.licences.metadata import metadata
from infrastructure.licences.document import render_licence_html, render_licence_pdf
from infrastructure.licences.signing import LicenceKey
from tests.application.licences.sample import LICENCE
from tests.infrastructure.licences.pdfs import CHECK_URL, record_of, squeezed_text
from tests.infrastructure.weasyprint_marker import needs_weasyprint


@pytest.fixture(scope="module")
def module_key(tmp_path_factory) -> LicenceKey:
    key = LicenceKey(tmp_path_factory.mktemp("keys") / "licence-key.pem")
    key.create()
    return key


@pytest.fixture(scope="module")
def pdf(module_key) -> bytes:
    return render_licence_pdf(LICENCE, module_key.sign_metadata(metadata(LICENCE)), CHECK_URL)


@needs_weasyprint
def test_the_page_shows_the_metadata_in_chinese_and_english(pdf, module_key):
    text = squeezed_text(pdf)
    assert pdf.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(pdf)).pages) == 1
    for shown in ("营业执照", "ELECTRONICLICENCE", LICENCE.number, LICENCE.holder, LICENCE.holder_code, LICENCE.issuer,
                  LICENCE.issuer_code, LICENCE.type_code, LICENCE.jurisdiction_code, "2025-03-04", "长期long-term",
                  "有效valid", module_key.key_id, record_of(pdf)["signature"]["value"], CHECK_URL):
        assert shown in text, shown
    assert "REVOKED" not in text and "VOID" not in text


@needs_weasyprint
def test_the_document_metadata_names_the_licence_and_its_issuer(pdf):
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info.title == f"营业执照 {LICENCE.number}"
    assert info.author == LICENCE.issuer
    assert LICENCE.holder in info.subject and "电子证照" in info.subject


@needs_weasyprint
def test_the_attachment_holds_the_metadata_signature_status_and_check_url(pdf, module_key):
    record = record_of(pdf)
    assert record == {"metadata": metadata(LICENCE), "signature": module_key.sign_metadata(metadata(LICENCE)),
                      "status": "valid", "check_url": CHECK_URL}


@needs_weasyprint
def test_two_renders_attach_the_same_record(pdf, module_key):
    again = render_licence_pdf(LICENCE, module_key.sign_metadata(metadata(LICENCE)), CHECK_URL)
    assert PdfReader(io.BytesIO(again)).attachments == PdfReader(io.BytesIO(pdf)).attachments


@needs_weasyprint
@pytest.mark.parametrize(("status", "mark"), [("revoked", "已撤销REVOKED"), ("void", "作废VOID")])
def test_a_withdrawn_licence_bears_a_large_mark(module_key, status, mark):
    withdrawn = replace(LICENCE, status=status)
    text = squeezed_text(render_licence_pdf(withdrawn, module_key.sign_metadata(metadata(withdrawn)), CHECK_URL))
    assert mark in text


def test_a_dated_licence_shows_its_end_and_an_unset_jurisdiction_says_so():
    dated = replace(LICENCE, valid_to=date(2030, 3, 3), jurisdiction_code="000000")
    html = render_licence_html(dated, {"alg": "Ed25519", "key_id": "k", "value": "v"}, CHECK_URL)
    assert "2030-03-03" in html and "长期" not in html and "未指定" in html


def test_the_qr_code_encodes_the_check_url():
    html = render_licence_html(LICENCE, {"alg": "Ed25519", "key_id": "k", "value": "v"}, CHECK_URL)
    assert segno.make(CHECK_URL, error="m", micro=False).svg_data_uri(scale=4).replace("&", "&amp;") in html


def test_names_are_text_never_markup():
    hostile = replace(LICENCE, holder="<script>alert(1)</script>")
    html = render_licence_html(hostile, {"alg": "Ed25519", "key_id": "k", "value": "v"}, CHECK_URL)
    assert "<script>" not in html and "&lt;script&gt;" in html
