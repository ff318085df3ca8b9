"""``onething cipher``: a new key, and which keys the stored rows need; a production start without a key."""

from __future__ import annotations

import base64

import pytest
from click.testing import CliRunner

from web.cli import main


@pytest.fixture
def cli(sqlite_url, tmp_path, monkeypatch):
    """Run ``onething`` on a fresh SQLite database with the schema created."""
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(tmp_path / "audit-key.pem"))
    runner = CliRunner()

    def run(*args: str, key: str | None = None):
        if key is None:
            monkeypatch.delenv("ONETHING_CIPHER_KEY", raising=False)
        else:
            monkeypatch.setenv("ONETHING_CIPHER_KEY", key)
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "init").exit_code == 0
    return run


def test_keygen_prints_a_new_aes_256_key_each_time(cli):
    first, second = cli("cipher", "keygen").output.strip(), cli("cipher", "keygen").output.strip()
    assert len(base64.b64decode(first, validate=True)) == 32 and first != second


def test_status_counts_rows_per_key_and_fails_when_a_key_is_missing(cli):
    key = cli("cipher", "keygen").output.strip()
    assert cli("users", "add", "--username", "window9", "--password", "Ample-Horse-Battery-9", "--role", "intake",
               key=key).exit_code == 0
    with_key = cli("cipher", "status", key=key)
    assert with_key.exit_code == 0 and "(current): 1" in with_key.output and "with key" in with_key.output
    without = cli("cipher", "status")
    assert without.exit_code == 1 and "(NO KEY): 1" in without.output
    assert "neither ONETHING_CIPHER_KEY nor in ONETHING_CIPHER_OLD_KEYS" in without.output


def test_a_production_start_without_a_key_exits_1_saying_what_to_set(cli, monkeypatch):
    monkeypatch.setenv("ONETHING_ENV", "production")
    monkeypatch.setenv("ONETHING_SECRET_KEY", "a-long-enough-secret-key-for-production-use")
    result = cli("cipher", "status")
    assert result.exit_code == 1 and "ONETHING_CIPHER_KEY" in result.output and "none" in result.output
