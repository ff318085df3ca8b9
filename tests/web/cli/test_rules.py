"""``onething credit load`` and ``onething rules whatif``: credit entries recorded as events; a what-if that
counts the outcomes new rules would change on a fixed history, and writes nothing."""

from __future__ import annotations

import copy
import json
import tempfile
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.application.rules.test_instant_approval import DECIDE, instant_bundle, open_with
from tests.conftest import VALID_CODE, restaurant_file
from web.cli import main
from web.services import Settings, build_services


@pytest.fixture
def cli(sqlite_url, tmp_path, monkeypatch):
    key = Path(tempfile.gettempdir()) / f"onething-test-key-{uuid.uuid4().hex}.pem"
    for name, value in (("ONETHING_DATABASE_URL", sqlite_url), ("ONETHING_AUDIT_KEY", str(key)),
                        ("ONETHING_FILES_URL", str(tmp_path / "files"))):
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "init").exit_code == 0
    run.services = build_services(Settings.from_env())  # type: ignore[attr-defined]
    return run


def test_credit_load_records_entries_that_fail_the_credit_check_all_or_none(cli, tmp_path):
    services = cli.services
    good = [{"credit_code": VALID_CODE, "list": "serious-dishonesty", "from": "2000-01-01", "to": "2099-12-31",
             "source": "信用中国"}]
    (tmp_path / "bad.json").write_text(json.dumps(good + [{**good[0], "credit_code": "91110000600037341X"}]))
    refused = cli("credit", "load", str(tmp_path / "bad.json"))
    assert refused.exit_code == 1
    assert services.catalogue.credit_of(VALID_CODE, services.clock.today())["listed"] is False
    (tmp_path / "good.json").write_text(json.dumps(good))
    loaded = cli("credit", "load", str(tmp_path / "good.json"), "--reason", "monthly list")
    assert loaded.exit_code == 0 and "recorded 1 credit entries" in loaded.output
    assert services.catalogue.credit_of(VALID_CODE, services.clock.today()) == {
        "listed": True, "lists": ["serious-dishonesty"]}


def test_rules_whatif_counts_the_outcomes_new_rules_change_and_writes_nothing(cli, tmp_path):
    services = cli.services
    instant_bundle(services)
    for seats in (30, 40, 80):
        open_with(services, {"seats": seats})
    services.runner.catch_up()
    stricter = copy.deepcopy(DECIDE)
    stricter["nodes"][1]["content"]["expressions"][0]["value"] = \
        "answers.seats <= 35 and materials_complete and not credit.listed"
    data = restaurant_file()
    data["bundles"][0]["questions"] = [{"key": "seats", "label": "座位数", "type": "number"}]
    for item in data["bundles"][0]["items"]:
        item["commitment_allowed"], item["rules"] = True, stricter
        item.pop("inspection", None)
    (tmp_path / "new.json").write_text(json.dumps(data, ensure_ascii=False))
    before = services.runner.total_events()
    result = cli("rules", "whatif", "--bundle", "restaurant-opening", "--file", str(tmp_path / "new.json"))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[2:]}
    # 40 seats: approved at once before, left to people now; its findings do not change (none above 50)
    assert lines["business-licence"] == ["3", "0", "0", "1", "0"] and lines["food-permit"] == ["3", "0", "0", "1", "0"]
    assert services.runner.total_events() == before
