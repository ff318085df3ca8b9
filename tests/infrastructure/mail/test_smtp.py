"""E-mail over SMTP, against a real local SMTP server (aiosmtpd) on a free port."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from freezegun import freeze_time

from application.notifications.ports import Contact
from domain.notification.aggregate import DeliveryChannel
from infrastructure.mail.smtp import SmtpSender
from tests.application.helpers import complete_restaurant, open_restaurant
from tests.conftest import VALID_CODE
from web.services import Settings, senders_of


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def only_alice(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"alice", b"s3cr:et")
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=only_alice,
                            auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def test_the_url_names_host_port_login_and_tls():
    sender = SmtpSender.from_url("smtp://alice:s3cr%3Aet@mail.example.com:2525?starttls=true", "OneThing <n@x.cn>")
    assert (sender.host, sender.port, sender.username, sender.password) == ("mail.example.com", 2525, "alice",
                                                                            "s3cr:et")
    assert sender.starttls and not sender.tls and sender.sender == "OneThing <n@x.cn>"
    assert SmtpSender.from_url("smtps://mail.example.com").port == 465
    assert SmtpSender.from_url("smtp://mail.example.com").port == 25
    assert "s3cr" not in SmtpSender.from_url("smtp://alice:s3cr@h:25").describe()
    with pytest.raises(ValueError, match="ONETHING_SMTP_URL"):
        SmtpSender.from_url("http://mail.example.com")


def test_a_message_arrives_with_its_subject_body_and_recipient(smtp_server):
    inbox, port = smtp_server
    SmtpSender.from_url(f"smtp://alice:s3cr%3Aet@127.0.0.1:{port}").send(
        "rep@example.com", "申请已受理 / Application accepted", "您的申请已受理。\n\nYour application was accepted.")
    [(recipients, message)] = inbox.messages
    assert recipients == ["rep@example.com"] and message["To"] == "rep@example.com"
    assert message["Subject"] == "申请已受理 / Application accepted"
    assert "您的申请已受理。" in message.get_content() and "Your application was accepted." in message.get_content()


class Contacts:
    def contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
        return [Contact("rep", "representative", "rep@example.com", "13800138000")] if credit_code == VALID_CODE else []


def test_a_completed_cases_notifications_are_mailed_to_the_applicant(services, smtp_server):
    inbox, port = smtp_server
    settings = dataclasses.replace(services.settings, smtp_url=f"smtp://alice:s3cr%3Aet@127.0.0.1:{port}")
    services.notifier.senders, services.notifier.contacts = senders_of(settings), Contacts()
    assert set(services.notifier.senders) == {DeliveryChannel.EMAIL}  # no SMS gateway is bound by default
    case_id = open_restaurant(services)
    complete_restaurant(services, case_id)
    report = services.notifier.send_due()
    assert report.sent == 4 and len(inbox.messages) == 4
    subjects = sorted(str(message["Subject"]) for _, message in inbox.messages)
    assert "电子证照已发放 / Licences ready" in subjects and "请评价本次服务 / Please rate the service" in subjects
    assert {tuple(recipients) for recipients, _ in inbox.messages} == {("rep@example.com",)}
    assert services.notifier.send_due().sent == 0 and len(inbox.messages) == 4  # never twice


def test_a_server_that_is_down_is_tried_again_after_a_minute(services):
    inbox, port = Inbox(), free_port()
    settings = dataclasses.replace(services.settings, smtp_url=f"smtp://127.0.0.1:{port}")
    services.notifier.senders, services.notifier.contacts = senders_of(settings), Contacts()
    with freeze_time("2026-03-02 09:00:00", tz_offset=0) as clock:
        case_id = open_restaurant(services)
        complete_restaurant(services, case_id)
        assert services.notifier.send_due().retrying == 4  # nobody listens on the port yet
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            clock.tick(timedelta(minutes=1))
            assert services.notifier.send_due(now=datetime.now(UTC)).sent == 4
        finally:
            controller.stop()
    assert len(inbox.messages) == 4


def test_settings_read_the_smtp_url_and_the_notifier_interval():
    settings = Settings.from_env({"ONETHING_SMTP_URL": "smtp://mail:2525", "ONETHING_NOTIFY_INTERVAL": "0",
                                  "ONETHING_MAIL_FROM": "gov <n@x.cn>"})
    assert (settings.smtp_url, settings.notify_interval, settings.mail_from) == ("smtp://mail:2525", 0.0,
                                                                                 "gov <n@x.cn>")
    assert senders_of(Settings.from_env({})) == {}  # no e-mail without a URL; SMS never without a gateway
