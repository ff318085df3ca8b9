"""The ``onething`` command line: set-up, demo, catalogue loading, users; clear errors."""

from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
from click.testing import CliRunner

from tests.conftest import ADMIN, INTAKE, make_services, restaurant_file
from web.cli import main


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    run.url = sqlite_url  # type: ignore[attr-defined]
    return run


def write(tmp_path, data, name="bundles.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_db_init_creates_the_schema(cli):
    result = cli("db", "init")
    assert result.exit_code == 0
    assert "cases_events" in result.output


def test_commands_before_db_init_say_what_to_do(cli, tmp_path):
    result = cli("catalogue", "load", write(tmp_path, restaurant_file()))
    assert result.exit_code == 1
    assert "onething db init" in result.output


def test_run_on_a_database_without_schema_says_what_to_do(cli):
    result = cli("run", "--port", "5999")
    assert result.exit_code == 1 and "onething db init" in result.output


def test_catalogue_load_publishes_and_a_reload_publishes_nothing_new(cli, tmp_path):
    cli("db", "init")
    path = write(tmp_path, restaurant_file())
    first = cli("catalogue", "load", path)
    assert first.exit_code == 0 and "published restaurant-opening version 1" in first.output
    second = cli("catalogue", "load", path)
    assert second.exit_code == 0 and "unchanged restaurant-opening" in second.output


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON: line 1"),
    ("[]", "JSON object"),
])
def test_a_malformed_file_exits_1_with_a_clear_message(cli, tmp_path, content, message):
    cli("db", "init")
    result = cli("catalogue", "load", write(tmp_path, content))
    assert result.exit_code == 1
    assert message in result.output


def test_an_invalid_bundle_exits_1_naming_bundle_and_field_and_publishes_nothing(cli, tmp_path):
    cli("db", "init")
    data = restaurant_file()
    data["bundles"][0]["items"][1]["prerequisites"] = ["ghost"]
    result = cli("catalogue", "load", write(tmp_path, data))
    assert result.exit_code == 1
    assert "restaurant-opening" in result.output and "items[food-permit].prerequisites" in result.output
    assert make_services(cli.url).catalogue.latest_versions() == {}


def test_a_missing_file_exits_1(cli, tmp_path):
    cli("db", "init")
    result = cli("catalogue", "load", str(tmp_path / "nope.json"))
    assert result.exit_code == 1 and "cannot read" in result.output


def test_users_add_and_its_refusals(cli, tmp_path):
    cli("db", "init")
    cli("catalogue", "load", write(tmp_path, restaurant_file()))
    ok = cli("users", "add", "--username", "li", "--password", "long enough", "--role", "reviewer",
             "--department", "amr")
    assert ok.exit_code == 0 and "user li added" in ok.output
    again = cli("users", "add", "--username", "li", "--password", "long enough", "--role", "intake")
    assert again.exit_code == 1 and "exists already" in again.output
    no_dept = cli("users", "add", "--username", "wang", "--password", "long enough", "--role", "reviewer")
    assert no_dept.exit_code == 1 and "department" in no_dept.output
    bad_role = cli("users", "add", "--username", "wang", "--password", "long enough", "--role", "wizard")
    assert bad_role.exit_code == 2
    services = make_services(cli.url)
    assert services.users.authenticate("li", "long enough").department == "amr"
    assert not services.users.exists("wang")


def test_demo_loads_everything_once(cli):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert "cases added: 12" in first.output
    second = cli("demo")
    assert second.exit_code == 0
    assert "cases added: 0" in second.output and "users added: 0" in second.output
    services = make_services(cli.url)
    assert len(services.catalogue.latest_versions()) == 6
    from domain.case.aggregate import Case

    statuses = {services.cases.load(Case.create_id(f"DEMO-{n:04d}")).status for n in range(1, 13)}
    assert statuses == {"open", "completed", "rejected", "withdrawn"}
    assert services.users.authenticate("reviewer-amr", "onething-demo") is not None
    first = services.cases.load(Case.create_id("DEMO-0001"))
    versions = [v for versions in first.material_versions.values() for v in versions]
    assert versions and {(v["source"], v["media_type"]) for v in versions} == {("upload", "application/pdf")}


def test_projections_rebuild_reports_what_it_did_and_status_shows_the_lag(cli):
    cli("demo")
    services = make_services(cli.url)
    events = services.runner.total_events()
    rebuilt = cli("projections", "rebuild")
    assert rebuilt.exit_code == 0
    assert f"rebuilt: {events} events" in rebuilt.output and "events/s" in rebuilt.output
    status = cli("projections", "status")
    assert status.exit_code == 0 and "behind 0" in status.output and "behind 1" not in status.output
    services.cases.intake.open_case(INTAKE, "restaurant-opening", "新开一家店", "91110000600037341L", "window")
    lagging = cli("projections", "status")
    assert "cases      Cases      position" in lagging.output and "behind 1" in lagging.output


def test_the_projection_worker_keeps_read_models_current_until_stopped(cli):
    cli("demo")
    services = make_services(cli.url)
    services.runner.reset()
    stop = threading.Event()
    worker = threading.Thread(target=services.runner.run_forever, args=(stop, 0.05), daemon=True)
    worker.start()
    deadline = time.monotonic() + 20
    while any(lag.behind for lag in services.runner.lag()) and time.monotonic() < deadline:
        stop.wait(0.05)
    stop.set()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert all(lag.behind == 0 for lag in services.runner.lag())
    assert services.queries.store.case_list(today=date.today()).total == 12


def test_users_disable_and_enable_from_the_command_line(cli, tmp_path):
    cli("db", "init")
    cli("catalogue", "load", write(tmp_path, restaurant_file()))
    cli("users", "add", "--username", "li", "--password", "long enough", "--role", "intake")
    assert cli("users", "disable", "li", "--reason", "left").exit_code == 0
    assert make_services(cli.url).users.authenticate("li", "long enough") is None
    assert cli("users", "enable", "li", "--reason", "back").exit_code == 0
    assert make_services(cli.url).users.authenticate("li", "long enough") is not None
    missing = cli("users", "disable", "nobody", "--reason", "x")
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_roadmap_prints_items_dates_and_the_critical_path(cli, tmp_path):
    cli("db", "init")
    cli("catalogue", "load", write(tmp_path, restaurant_file()))
    result = cli("roadmap", "restaurant-opening", "--start", "2026-09-30")
    assert result.exit_code == 0
    assert "earliest completion 2026-10-14" in result.output
    assert "critical path (*): business-licence -> food-permit" in result.output
    assert cli("roadmap", "nothing").exit_code == 1


def test_sla_tick_reports_what_it_checked(cli):
    cli("demo")
    result = cli("sla", "tick")
    assert result.exit_code == 0 and "checked" in result.output and "events" in result.output


def test_sla_whatif_prints_what_a_tighter_policy_would_have_changed_and_writes_nothing(cli):
    from freezegun import freeze_time

    from tests.application.helpers import submit_all
    from tests.conftest import AMR, FOOD

    cli("db", "init")
    services = make_services(cli.url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
        case_id = services.cases.intake.open_case(INTAKE, "restaurant-opening", "某餐馆", "91110000600037341L",
                                           "window").id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")  # 1 day: due Tuesday
        services.cases.review.approve_item(AMR, case_id, "business-licence")  # decided Monday
        services.cases.review.accept_item(FOOD, case_id, "food-permit")  # 5 days: due Monday 9 March
    with freeze_time("2026-03-06 09:00:00+08:00"):  # Friday: on time now, late under half the limit
        services.cases.review.record_inspection(FOOD, case_id, "food-permit", "video", True)
        services.cases.review.approve_item(FOOD, case_id, "food-permit")
    events = services.runner.total_events()
    with freeze_time("2026-03-10 09:00:00+08:00"):
        result = cli("sla", "whatif", "--time-limit-scale", "0.5")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in result.output.splitlines()[1:]}
    assert lines["bundle:restaurant-opening"] == "on time 100.0% -> 50.0% breaches 0 -> 1 (2 decided)"
    assert lines["department:amr-food"] == "on time 100.0% -> 0.0% breaches 0 -> 1 (1 decided)"
    assert lines["department:amr"] == "on time 100.0% -> 100.0% breaches 0 -> 0 (1 decided)"
    assert make_services(cli.url).runner.total_events() == events  # nothing written
    assert cli("sla", "whatif", "--time-limit-scale", "0").exit_code == 1
