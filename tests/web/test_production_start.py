"""The secret key: a production start needs ONETHING_SECRET_KEY; development keeps one key file for every process."""

from __future__ import annotations

import dataclasses
import os
import stat

import pytest
from click.testing import CliRunner

from tests.conftest import ADMIN, make_services
from tests.web.conftest import PASSWORD
from tests.web.ui.conftest import make_ui
from web import create_app
from web.cli import main
from web.secret_key import MissingSecretKey


@pytest.fixture
def plain(sqlite_url, tmp_path):
    """Services with no secret key configured and a key file path of their own (none there yet)."""
    services = make_services(sqlite_url)
    settings = dataclasses.replace(services.settings, secret_key="", secret_key_file=str(tmp_path / "inst" / "key"))
    services.settings = settings
    return services


def production(services, secret_key: str = ""):
    services.settings = dataclasses.replace(services.settings, environment="production", secret_key=secret_key)
    return services


def test_a_production_start_without_a_secret_key_is_refused_clearly(plain):
    with pytest.raises(MissingSecretKey) as error:
        create_app({"SERVICES": production(plain)})
    assert "ONETHING_SECRET_KEY" in str(error.value)
    assert not os.path.exists(plain.settings.secret_key_file)  # nothing written on the way


def test_a_production_start_with_a_secret_key_uses_it_and_secure_cookies(plain):
    app = create_app({"SERVICES": production(plain, "k" * 64)})
    assert app.secret_key == "k" * 64 and app.config["SESSION_COOKIE_SECURE"] is True


def test_onething_run_in_production_without_a_key_exits_non_zero_saying_why(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(tmp_path / "audit.pem"))
    monkeypatch.setenv("ONETHING_ENV", "production")
    monkeypatch.setenv("ONETHING_CIPHER_KEY", "none")  # production's other requirement, answered: not this test's
    monkeypatch.delenv("ONETHING_SECRET_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init"]).exit_code == 0
    result = runner.invoke(main, ["run", "--port", "5998", "--no-projections"])
    assert result.exit_code != 0 and "ONETHING_SECRET_KEY" in result.output


def test_development_keeps_one_private_key_file_for_every_process(plain):
    first = create_app({"SERVICES": plain})
    second = create_app({"SERVICES": plain})  # another process, or a restart
    path = plain.settings.secret_key_file
    assert first.secret_key and first.secret_key == second.secret_key
    with open(path, encoding="utf-8") as file:
        assert file.read().strip() == first.secret_key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_a_session_made_by_one_development_process_works_in_another(plain):
    plain.users.add_user(ADMIN, "li", PASSWORD, "intake")
    first, second = make_ui(plain, SECRET_KEY=None), make_ui(plain, SECRET_KEY=None)  # no key configured
    assert first.app.secret_key == second.app.secret_key
    assert first.login("li").status_code == 302
    second.client.set_cookie("session", first.client.get_cookie("session").value)
    assert second.client.get("/home").status_code == 200
