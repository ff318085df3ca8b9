"""The offline check of an e-licence PDF: genuine only as signed, shown and not withdrawn."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader, PdfWriter

from application.licences.metadata import metadata
from infrastructure.licences.document import render_licence_pdf
from infrastructure.licences.signing import LicenceKey
from infrastructure.licences.verify import verify_licence_pdf
from tests.application.licences.sample import LICENCE
from tests.infrastructure.licences.pdfs import CHECK_URL, rewrite_record
from tests.infrastructure.weasyprint_marker import needs_weasyprint

pytestmark = needs_weasyprint


@pytest.fixture(scope="module")
def module_key(tmp_path_factory) -> LicenceKey:
    key = LicenceKey(tmp_path_factory.mktemp("keys") / "licence-key.pem")
    key.create()
    return key


def render(key: LicenceKey, status: str = "valid") -> bytes:
    licence = replace(LICENCE, status=status)
    return render_licence_pdf(licence, key.sign_metadata(metadata(licence)), CHECK_URL)


@pytest.fixture(scope="module")
def pdf(module_key) -> bytes:
    return render(module_key)


@pytest.fixture(scope="module")
def revoked_pdf(module_key) -> bytes:
    return render(module_key, "revoked")


def test_a_rendered_licence_is_genuine(pdf, module_key):
    check = verify_licence_pdf(pdf, module_key.verifying_keys())
    assert check.genuine and check.problems == []
    assert check.metadata == metadata(LICENCE) and check.status == "valid" and check.check_url == CHECK_URL


@pytest.mark.parametrize("field", ["holder", "holder_code", "valid_to", "number"])
def test_a_changed_field_in_the_record_is_not_genuine(pdf, module_key, field):
    forged = rewrite_record(pdf, lambda record: record["metadata"].update({field: "2099-12-31"}))
    check = verify_licence_pdf(forged, module_key.verifying_keys())
    assert not check.genuine and "the signature does not verify over the metadata" in check.problems


def test_an_unknown_key_is_not_genuine(pdf, tmp_path):
    other = LicenceKey(tmp_path / "other.pem")
    other.create()
    check = verify_licence_pdf(pdf, other.verifying_keys())
    assert not check.genuine and check.problems[0].startswith("signed by an unknown key")


def test_a_record_signed_for_another_licence_is_not_genuine(pdf, module_key):
    """Metadata and signature of another certificate, pasted into this file, do not match what the page shows."""
    other = replace(LICENCE, number="YWB-20250301-0008-1-1")
    other_fields = metadata(other)
    forged = rewrite_record(pdf, lambda record: record.update(
        metadata=other_fields, signature=module_key.sign_metadata(other_fields)))
    check = verify_licence_pdf(forged, module_key.verifying_keys())
    assert not check.genuine and check.problems == [
        "the page does not show the signed number 'YWB-20250301-0008-1-1'"]


def test_a_revoked_licence_is_not_genuine(revoked_pdf, module_key):
    check = verify_licence_pdf(revoked_pdf, module_key.verifying_keys())
    assert not check.genuine and check.problems == ["the licence is revoked"] and check.status == "revoked"


def test_a_revoked_licence_edited_back_to_valid_still_bears_its_mark(revoked_pdf, module_key):
    forged = rewrite_record(revoked_pdf, lambda record: record.update(status="valid"))
    check = verify_licence_pdf(forged, module_key.verifying_keys())
    assert not check.genuine and check.problems == ["the page is marked 已撤销 REVOKED, its record says 'valid'"]


def test_a_void_licence_is_not_genuine(module_key):
    check = verify_licence_pdf(render(module_key, "void"), module_key.verifying_keys())
    assert not check.genuine and check.problems == ["the licence is void"]


def test_a_file_without_the_record_is_not_genuine(pdf, module_key):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for attached in writer.attachment_list:
        attached.delete()
    out = io.BytesIO()
    writer.write(out)
    stripped = out.getvalue()
    check = verify_licence_pdf(stripped, module_key.verifying_keys())
    assert not check.genuine and check.problems == ["0 licence.json attachments in the file, not 1"]


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\nnot really", b"\x00" * 100])
def test_a_file_that_is_no_pdf_is_not_genuine(data, module_key):
    check = verify_licence_pdf(data, module_key.verifying_keys())
    assert not check.genuine and check.problems[0].startswith("not a readable PDF")


def test_a_record_that_is_no_licence_record_is_not_genuine(pdf, module_key):
    forged = rewrite_record(pdf, lambda record: record.pop("signature"))
    check = verify_licence_pdf(forged, module_key.verifying_keys())
    assert not check.genuine and "is not a licence record" in check.problems[0]
