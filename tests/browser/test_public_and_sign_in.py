"""In a real browser: signing in and out, switching language, and the public pages."""

from __future__ import annotations

from tests.browser.conftest import shot, sign_in, sign_out


def test_sign_in_shows_who_and_role_then_sign_out(page):
    page.goto("/")
    shot(page, "home")
    sign_in(page, "supervisor")
    assert "督办" in page.locator(".who-role").inner_text()
    sign_out(page)
    assert page.locator("a.button", has_text="登录").count() == 1


def test_a_wrong_password_is_said_in_words_next_to_the_form(page):
    sign_in(page, "supervisor", "wrong")
    assert page.url.endswith("/login")
    assert page.locator(".form-error").count() == 1
    shot(page, "login")


def test_the_language_switch_turns_the_page_to_english_and_back(page):
    page.goto("/verify")
    page.click("a[lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("a[lang=zh-CN]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang").startswith("zh")


def test_a_certificate_number_that_does_not_exist_is_said_so(page):
    page.goto("/verify")
    page.fill("input[name=number]", "NO-SUCH-CERTIFICATE")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    shot(page, "verify")
    assert "NO-SUCH-CERTIFICATE" in page.content()
