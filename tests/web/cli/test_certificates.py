"""``onething certificates``: keygen, public-key and the offline check of a downloaded e-licence (no database)."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest
from click.testing import CliRunner

from application.licences.metadata import metadata
from infrastructure.licences.document import render_licence_pdf
from infrastructure.licences.signing import LicenceKey
from tests.application.licences.sample import LICENCE
from tests.infrastructure.licences.pdfs import CHECK_URL, rewrite_record
from tests.infrastructure.weasyprint_marker import needs_weasyprint
from web.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run ``onething`` with the e-licence key at ``run.key`` (absent at first)."""
    key = tmp_path / "keys" / "licence-key.pem"
    monkeypatch.setenv("ONETHING_LICENCE_KEY", str(key))
    monkeypatch.setenv("ONETHING_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    run.key = key  # type: ignore[attr-defined]
    return run


@pytest.fixture
def signed_pdf(cli, tmp_path):
    """Write a licence PDF, signed with the configured key, as ``tmp_path/licence.pdf``; return a renderer."""
    assert cli("certificates", "keygen").exit_code == 0
    key = LicenceKey(cli.key)

    def write(status: str = "valid", change=None):
        licence = replace(LICENCE, status=status)
        pdf = render_licence_pdf(licence, key.sign_metadata(metadata(licence)), CHECK_URL)
        path = tmp_path / f"licence-{status}.pdf"
        path.write_bytes(rewrite_record(pdf, change) if change else pdf)
        return str(path)

    return write


# keygen and public-key ---------------------------------------------------------------------------
def test_keygen_writes_a_key_only_its_owner_reads_and_prints_the_id_signatures_carry(cli):
    result = cli("certificates", "keygen")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(cli.key).st_mode) == 0o600
    key = LicenceKey(cli.key)
    assert f"key id {key.key_id}" in result.output and str(cli.key) in result.output
    assert key.sign_metadata(metadata(LICENCE))["key_id"] == key.key_id


def test_keygen_never_overwrites_a_key(cli):
    assert cli("certificates", "keygen").exit_code == 0
    pem = cli.key.read_bytes()
    again = cli("certificates", "keygen")
    assert again.exit_code == 0 and "exists: keeping it" in again.output
    assert f"key id {LicenceKey(cli.key).key_id}" in again.output
    assert cli.key.read_bytes() == pem


def test_public_key_prints_the_pem_to_publish(cli):
    assert cli("certificates", "public-key").exit_code == 1
    cli("certificates", "keygen")
    result = cli("certificates", "public-key")
    assert result.exit_code == 0 and result.output.encode() == LicenceKey(cli.key).public_pem()


# verify ------------------------------------------------------------------------------------------
@needs_weasyprint
def test_a_downloaded_licence_verifies_offline(cli, signed_pdf):
    result = cli("certificates", "verify", signed_pdf())
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"GENUINE {LICENCE.number} 营业执照: {LICENCE.holder} ({LICENCE.holder_code})")
    assert f"signed with key {LicenceKey(cli.key).key_id}" in result.output and "long-term" in result.output
    assert CHECK_URL in result.output


@needs_weasyprint
def test_it_verifies_elsewhere_with_the_published_public_key_only(cli, signed_pdf, tmp_path, monkeypatch):
    path = signed_pdf()
    public = tmp_path / "issuer.pem"
    public.write_text(cli("certificates", "public-key").output)
    monkeypatch.setenv("ONETHING_LICENCE_KEY", str(tmp_path / "no-such-key.pem"))
    assert cli("certificates", "verify", path).exit_code == 1
    result = cli("certificates", "verify", path, "--public-key", str(public))
    assert result.exit_code == 0 and result.output.startswith("GENUINE")


@needs_weasyprint
def test_an_altered_record_is_not_genuine(cli, signed_pdf):
    path = signed_pdf(change=lambda record: record["metadata"].update(holder="别的公司"))
    result = cli("certificates", "verify", path)
    assert result.exit_code == 1
    assert result.output == "NOT GENUINE: the signature does not verify over the metadata\n"


@needs_weasyprint
def test_a_revoked_licence_is_not_genuine(cli, signed_pdf):
    result = cli("certificates", "verify", signed_pdf("revoked"))
    assert result.exit_code == 1 and result.output == "NOT GENUINE: the licence is revoked\n"


@needs_weasyprint
def test_another_issuers_key_does_not_verify(cli, signed_pdf, tmp_path):
    other = LicenceKey(tmp_path / "other.pem")
    other.create()
    public = tmp_path / "other-public.pem"
    public.write_bytes(other.public_pem())
    result = cli("certificates", "verify", signed_pdf(), "--public-key", str(public))
    assert result.exit_code == 1 and result.output.startswith("NOT GENUINE: signed by an unknown key")


def test_a_public_key_file_that_is_no_key_is_refused(cli, tmp_path):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a key")
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    result = cli("certificates", "verify", str(pdf), "--public-key", str(bogus))
    assert result.exit_code == 1 and "error:" in result.output


def test_a_file_that_is_no_pdf_is_not_genuine(cli, tmp_path):
    cli("certificates", "keygen")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"hello")
    result = cli("certificates", "verify", str(junk))
    assert result.exit_code == 1 and result.output.startswith("NOT GENUINE: not a readable PDF")
