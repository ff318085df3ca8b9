"""``onething notify send``: one pass (or a loop) of the notifier, and the pass at the end of ``sla tick``."""

from __future__ import annotations

from click.testing import CliRunner

from tests.application.helpers import complete_restaurant, open_restaurant
from tests.conftest import ADMIN, make_services, restaurant_file
from web.cli import main


def test_notify_send_queues_each_notification_once_and_names_the_channels(sqlite_url, monkeypatch):
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    services = make_services(sqlite_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    complete_restaurant(services, open_restaurant(services))
    runner = CliRunner()
    first = runner.invoke(main, ["notify", "send"], catch_exceptions=False)
    assert first.exit_code == 0
    assert "channels: inbox; e-mail: ONETHING_SMTP_URL is not set; SMS: no gateway bound" in first.output
    assert "notifications queued 4; deliveries sent 0" in first.output
    again = runner.invoke(main, ["notify", "send"], catch_exceptions=False)
    assert "notifications queued 0" in again.output
    monkeypatch.setenv("ONETHING_SMTP_URL", "smtp://127.0.0.1:2525")
    with_mail = runner.invoke(main, ["notify", "send"], catch_exceptions=False)
    assert "channels: inbox, email; SMS: no gateway bound" in with_mail.output


def test_sla_tick_ends_with_a_notifier_pass(sqlite_url, monkeypatch):
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    services = make_services(sqlite_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    complete_restaurant(services, open_restaurant(services))
    tick = CliRunner().invoke(main, ["sla", "tick"], catch_exceptions=False)
    assert tick.exit_code == 0 and "notifications queued 4" in tick.output
