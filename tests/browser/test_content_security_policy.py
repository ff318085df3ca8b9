"""In a real browser, the pages work under the Content-Security-Policy (web/headers.py), and the console check
of the ``page`` fixture (conftest) really sees what Chromium refuses.

Every browser test fails if Chromium reports a refusal; these add the pages the flows do not reach: the API's
Swagger UI, the receipt's print button, the htmx indicator of the auditor's verify button.
"""

from __future__ import annotations

from typing import Any

from domain.shared.values import Actor, Role
from tests.browser.conftest import sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail when ONETHING_REQUIRE_BROWSER=1 (conftest._require_browser)
    expect = None


def test_the_console_check_sees_what_the_policy_refuses(page):
    page.goto("/api/v1/docs/assets/oauth2-redirect.html")  # a vendored Swagger UI file with an inline script
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    refused = list(page.csp_violations)
    page.csp_violations.clear()  # seen on purpose: not a failure of this test
    assert any("inline script" in line and "script-src 'self'" in line for line in refused), refused


def test_the_api_docs_work_under_the_policy(page):
    response = page.goto("/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/cases/{case_id}").first
    expect(operation).to_be_visible()
    operation.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert page.evaluate("typeof window.ui") == "object"


def test_the_receipt_prints_from_its_button(page, server):
    cases = server.services.queries.case_list(Actor("window1", Role.INTAKE))
    sign_in(page, "window1")
    page.goto(f"/desk/cases/{cases.rows[0]['case_id']}/receipt")
    # (ends in null: Playwright would call a function the script evaluates to)
    page.evaluate("window.printed = 0; window.print = () => { window.printed += 1; }; null")
    page.locator("button[data-print]").click()
    assert page.evaluate("window.printed") == 1


def test_the_roadmap_bars_are_drawn_without_inline_style(page):
    sign_in(page, "window1")
    page.goto("/desk/bundles/restaurant-opening")
    bars = page.locator("table.roadmap svg.roadmap-track rect.roadmap-bar")
    expect(bars).to_have_count(3)
    widths: list[Any] = [bars.nth(index).bounding_box()["width"] for index in range(3)]
    track = page.locator("table.roadmap svg.roadmap-track").first.bounding_box()["width"]
    assert all(0 < width <= track for width in widths)
