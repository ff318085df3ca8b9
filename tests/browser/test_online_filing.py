"""In a real browser, issue 15's flow: an enterprise registers, its representative files a restaurant case online
with uploads on a phone, intake returns it for one missing material, the applicant uploads it, intake accepts,
each reviewer approves, the applicant sees every step, downloads the e-licence and rates the case — and the
e-mails of each step arrive at a local SMTP server (aiosmtpd).

The applicant works at a phone's viewport (390 × 844, touch): every page it opens must fit the screen without
sideways scrolling. Staff work at a desktop viewport. Everything is clicks and typing.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest

from tests.browser.conftest import serve, shot, sign_in, sign_out
from tests.browser.test_flows import until_listed

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail when ONETHING_REQUIRE_BROWSER=1 (conftest._require_browser)
    expect = None

CODE = "91110000MA01BR2W5M"
NAME = "泉城网上申报餐饮有限公司"
EMAIL = "boss@quancheng.example"
PASSWORD = "a-long-enough-passphrase-9"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
ITEMS = [("business-licence", "amr"), ("food-permit", "amr-food"), ("seal-engraving", "psb")]
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Inbox:
    """An SMTP server on a free local port that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self.arrived:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
            self.arrived.notify_all()
        return "250 OK"

    def subjects_to(self, address: str) -> list[str]:
        return [str(message["Subject"]) for to, message in self.messages if address in to]

    def wait_for(self, address: str, count: int, timeout: float = 20) -> list[str]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.subjects_to(address)) >= count, timeout)
        return self.subjects_to(address)


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Any]:
    yield from serve(tmp_path_factory.mktemp("online"), notify_every=0.3,
                     smtp_url=f"smtp://127.0.0.1:{inbox.port}", mail_from="onething@gov.example")  # type: ignore[attr-defined]


def tab(browser: Any, served: Any, **context: Any) -> Any:
    page = browser.new_context(base_url=served.url, locale="zh-CN", **({"viewport": {"width": 1280, "height": 900}}
                                                                         | context)).new_page()
    page.set_default_timeout(15_000)
    return page


def fits_the_screen(page: Any) -> None:
    """The page needs no sideways scrolling at the phone's width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} is {overflow}px wider than the phone's screen"


def pdf_file(tmp_path: Any, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(PDF + name.encode())
    return str(path)


def test_an_enterprise_files_online_is_returned_once_accepted_approved_and_rates_with_emails(
        browser, served, inbox, tmp_path):
    phone, desk = tab(browser, served, **PHONE), tab(browser, served)

    # 1. The enterprise registers on its phone; its representative is signed in.
    phone.goto("/apply/register")
    fits_the_screen(phone)
    for field, value in (("credit_code", CODE), ("enterprise_name", NAME), ("representative_name", "王老板"),
                         ("username", "quancheng-boss"), ("password", PASSWORD), ("confirm_password", PASSWORD),
                         ("email", EMAIL)):
        phone.fill(f"[name={field}]", value)
    phone.locator("form button[type=submit]").last.click()
    phone.wait_for_load_state()

    # 2. It files a restaurant case with one material uploaded, the floor plan forgotten.
    phone.goto("/me/file")
    fits_the_screen(phone)
    phone.locator("a.card[href$='/me/file/restaurant-opening']").click()
    phone.wait_for_load_state()
    fits_the_screen(phone)
    keys = [m.key for m in served.services.catalogue.definition("restaurant-opening")[0].materials]
    forgotten = keys[-1]
    for key in keys[:-1]:
        phone.set_input_files(f"#file-{key}", pdf_file(tmp_path, f"{key}.pdf"))
    phone.locator("form[data-upload-form] button[type=submit]").click()
    phone.wait_for_load_state()
    expect(phone.locator(".flash-success")).to_contain_text("已网上申报")
    number = phone.locator("h1").inner_text().split()[-1]
    case_url = phone.url
    shot(phone, "applicant-case-submitted")
    fits_the_screen(phone)

    # 3. Intake finds it among the online filings and returns it for the floor plan, told at once.
    sign_in(desk, "window1")
    desk.goto("/desk/pre-review")
    filing = desk.get_by_role("link", name=number, exact=True)
    until_listed(desk, filing)
    filing.click()
    desk.wait_for_load_state()
    returning = desk.locator("form[action$='/return-filing']")
    returning.locator(f"input[name=missing][value={forgotten}]").check()
    returning.locator("[name=reason]").fill("缺少经营场所平面图，请上传")
    returning.locator("button[type=submit]").click()
    desk.wait_for_load_state()
    expect(desk.locator(".flash-success")).to_be_visible()

    # 4. The applicant sees what is missing and uploads it: the filing is back in pre-review.
    phone.goto(case_url)
    expect(phone.locator("#returned")).to_contain_text("缺少经营场所平面图")
    fits_the_screen(phone)
    phone.set_input_files(f"#missing-{forgotten} input[type=file]", pdf_file(tmp_path, "平面图.pdf"))
    phone.locator(f"#missing-{forgotten} button[type=submit]").click()
    phone.wait_for_load_state()
    expect(phone.locator(".notice")).to_contain_text("等待受理人员预审")

    # 5. Intake accepts.
    desk.reload()
    desk.locator("form[action$='/accept-filing'] button[type=submit]").click()
    desk.wait_for_load_state()
    expect(desk.locator(".flash-success")).to_contain_text("申请已受理")
    sign_out(desk)

    # 6. Each department's reviewer accepts and approves its item (the food permit after a video inspection);
    #    the applicant sees each step on its phone.
    for code, department in ITEMS:
        sign_in(desk, f"reviewer-{department}")
        desk.goto(case_url.replace("/me/cases/", "/cases/"))
        actions = desk.locator(f"#actions-{code}")
        actions.locator(f"#act-{code}-accept button").click()
        desk.wait_for_load_state()
        if code == "food-permit":
            actions.locator("summary", has_text="登记勘验").click()
            desk.select_option(f"#act-{code}-inspect-method", "video")
            desk.select_option(f"#act-{code}-inspect-passed", "yes")
            desk.fill(f"#act-{code}-inspect-reason", "远程视频勘验合格")
            desk.locator(f"#act-{code}-inspect button[type=submit]").click()
            desk.wait_for_load_state()
        actions.locator("summary", has_text="审批通过").click()
        desk.fill(f"#act-{code}-approve-reason", "材料齐全，符合法定形式")
        desk.locator(f"#act-{code}-approve button[type=submit]").click()
        desk.wait_for_load_state()
        expect(desk.locator(f"#item-{code} .badge-approved")).to_be_visible()
        sign_out(desk)
        phone.goto(case_url)
        expect(phone.locator(f"#item-{code} .badge-approved")).to_be_visible()
    phone.goto("/me")
    fits_the_screen(phone)
    until_listed(phone, phone.locator(f"[data-case='{number}'] .badge-completed"))
    shot(phone, "applicant-home")

    # 7. The e-licences download; the case is rated.
    phone.goto(case_url)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="下载电子证照").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    phone.locator("#rating input[name=score][value='5']").check()
    phone.locator("#rating [name=comment]").fill("一次都没跑，很方便")
    phone.locator("#rating button[type=submit]").click()
    phone.wait_for_load_state()
    expect(phone.locator("#rating")).to_contain_text("5")
    phone.goto("/me/notifications")
    fits_the_screen(phone)
    until_listed(phone, phone.get_by_text(number).first)

    # 8. The e-mails of every step reached the representative's address, each naming the case.
    subjects = inbox.wait_for(EMAIL, 7)
    told = sorted(subject.split(" / ")[-1] for subject in subjects)
    assert told == sorted(["Application returned", "Application accepted", "Item approved", "Item approved",
                           "Item approved", "Licences ready", "Please rate the service"]), subjects
    assert all(number in str(message.get_content()) for to, message in inbox.messages if EMAIL in to)
