"""The accounts pages: an enterprise registers, its representative manages agents, two-step sign-in."""

from __future__ import annotations

import time

import pyotp

from tests.web.conftest import PASSWORD
from tests.web.ui.conftest import make_ui

CODE = "91110000600037341L"
NEW_PASSWORD = "a-long-enough-passphrase-9"


def register(ui, username="boss", code=CODE, confirm=NEW_PASSWORD):
    return ui.post("/apply/register", {"credit_code": code, "enterprise_name": "泉城小馆餐饮有限公司",
                                       "representative_name": "王老板", "username": username,
                                       "password": NEW_PASSWORD, "confirm_password": confirm,
                                       "email": "boss@example.com"})


def test_an_enterprise_registers_and_its_representative_is_signed_in(ui):
    response = register(ui)
    assert response.status_code == 302
    assert "clerk" not in ui.page("/me/agents")  # the representative's own page opens
    assert ui.services.accounts.enterprise(CODE).representative == "boss"


def test_a_second_registration_is_refused_on_the_form(ui):
    register(ui)
    other = make_ui(ui.services)
    response = register(other, username="imposter")
    assert response.status_code == 422
    assert "registered already" in response.get_data(as_text=True)


def test_a_wrong_check_digit_is_shown_beside_the_code(ui):
    response = register(ui, code="91110000600037341X")
    assert response.status_code == 422
    assert 'id="field-credit_code-error"' in response.get_data(as_text=True)


def test_the_representative_authorises_and_revokes_an_agent_who_is_signed_out_at_once(ui):
    register(ui)
    response = ui.post("/me/agents", {"username": "clerk", "password": NEW_PASSWORD, "until": "2099-12-31",
                                      "bundles": "restaurant-opening"})
    assert response.status_code == 302, response.get_data(as_text=True)
    clerk = make_ui(ui.services)
    assert clerk.login("clerk", NEW_PASSWORD).status_code == 302
    assert clerk.page("/me/security")
    assert clerk.client.get("/me/agents").status_code == 403  # only the representative manages agents
    assert ui.post("/me/agents/clerk/revoke", {"reason": "left"}).status_code == 302
    assert "Revoked" in ui.page("/me/agents") or "已撤销" in ui.page("/me/agents")
    assert clerk.client.get("/me/security").headers["Location"].startswith("/login")


def test_staff_cannot_open_the_agents_page(ui):
    ui.login_as("intake")
    assert ui.client.get("/me/agents").status_code == 403


def test_two_step_sign_in_is_set_up_on_the_security_page_and_then_asked_for(ui):
    ui.login_as("intake")
    page = ui.post("/me/security", {"action": "enrol"}).get_data(as_text=True)
    assert "<svg" in page
    secret = page.split('<code class="secret">')[1].split("<")[0]
    totp = pyotp.TOTP(secret)
    assert ui.post("/me/security", {"action": "confirm", "code": totp.at(time.time() - 30),
                                     "password": PASSWORD}).status_code == 302
    other = make_ui(ui.services)
    asked = other.login("intake")
    assert asked.status_code == 422 and 'name="otp"' in asked.get_data(as_text=True)
    token = other.csrf_token("/login")
    signed_in = other.post("/login", {"username": "intake", "password": PASSWORD, "otp": totp.now(),
                                      "ask_code": "1", "csrf_token": token})
    assert signed_in.status_code == 302


def test_the_pages_fit_a_phone(ui):
    page = ui.page("/apply/register")
    assert 'name="viewport"' in page and 'inputmode="tel"' in page
