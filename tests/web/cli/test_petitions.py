"""``onething petitions list`` and the SLA tick's report of petitions."""

from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import ADMIN, INTAKE, SUPERVISOR, make_services, restaurant_file
from web.cli import main


def test_petitions_list_shows_each_petition_with_the_counts(sqlite_url, monkeypatch):
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    services = make_services(sqlite_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    waiting = services.petitions.submit(INTAKE, "泉城小馆", None, "园区停电", "三天两次停电", "hotline").number
    routed = services.petitions.submit(INTAKE, "某企业", None, "招工难", "请求对接人社", "visit").number
    services.petitions.route(SUPERVISOR, routed, "amr", 3)
    runner = CliRunner()
    everything = runner.invoke(main, ["petitions", "list"], catch_exceptions=False)
    assert everything.exit_code == 0
    assert waiting in everything.output and routed in everything.output and "招工难" in everything.output
    assert "2 of 2 shown; overdue 0, routed 1, submitted 1" in everything.output
    only_routed = runner.invoke(main, ["petitions", "list", "--status", "routed"], catch_exceptions=False)
    assert routed in only_routed.output and waiting not in only_routed.output
    tick = runner.invoke(main, ["sla", "tick"], catch_exceptions=False)
    assert "and 1 petitions" in tick.output
