"""JSON API v1: enterprises register online, the representative authorises and revokes agents, TOTP."""

from __future__ import annotations

from datetime import date, timedelta

import pyotp
from stdnum.cn import uscc

from tests.web.conftest import PASSWORD

CODE = "91110000600037341L"


def fresh_code(n: int) -> str:
    """A valid unified social credit code of its own for each ``n``."""
    base = f"91110000600{n:06d}"
    return base + uscc.calc_check_digit(base)


def register(api, username="boss", code=CODE, **extra):
    return api.post("/applicants/register", {"credit_code": code, "enterprise_name": "泉城小馆餐饮有限公司",
                                             "representative_name": "王老板", "username": username,
                                             "password": PASSWORD, **extra})


def token_of(api, username, password=PASSWORD, **extra) -> str:
    response = api.post("/auth/token", {"username": username, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def as_token(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def authorise(api, boss: str, username="clerk", **extra):
    until = (date.today() + timedelta(days=30)).isoformat()
    return api.client.post("/api/v1/applicants/agents", headers=as_token(boss),
                           json={"username": username, "password": PASSWORD, "until": until, **extra})


def test_registering_answers_201_and_the_representative_signs_in(api):
    response = register(api, email="boss@example.com")
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"credit_code": CODE, "name": "泉城小馆餐饮有限公司", "representative": "boss"}
    me = api.client.get("/api/v1/auth/me", headers=as_token(token_of(api, "boss"))).get_json()
    assert (me["role"], me["enterprise"], me["kind"]) == ("applicant", CODE, "representative")


def test_a_second_representative_for_an_enterprise_is_409(api):
    register(api)
    response = register(api, username="imposter")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "representative_exists"


def test_a_wrong_check_digit_is_422(api):
    response = register(api, code="91110000600037341X")
    assert response.status_code == 422
    assert "applicant.credit_code" in response.get_json()["error"]["fields"]


def test_the_representative_authorises_lists_and_revokes_agents(api):
    register(api)
    boss = token_of(api, "boss")
    response = authorise(api, boss, bundles=["restaurant-opening"])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["bundles"] == ["restaurant-opening"] and response.get_json()["active"]
    clerk = token_of(api, "clerk")
    me = api.client.get("/api/v1/auth/me", headers=as_token(clerk)).get_json()
    assert (me["kind"], me["bundles"]) == ("agent", ["restaurant-opening"])
    listed = api.client.get("/api/v1/applicants/agents", headers=as_token(boss)).get_json()
    assert [a["username"] for a in listed] == ["clerk"]
    revoked = api.client.post("/api/v1/applicants/agents/clerk/revoke", headers=as_token(boss),
                              json={"reason": "left the company"})
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert api.client.get("/api/v1/auth/me", headers=as_token(clerk)).status_code == 401  # at once


def test_unknown_bundles_are_422(api):
    register(api)
    response = authorise(api, token_of(api, "boss"), bundles=["no-such-bundle"])
    assert response.status_code == 422
    assert "bundles" in response.get_json()["error"]["fields"]


def test_an_agent_cannot_authorise_or_revoke(api):
    register(api)
    boss = token_of(api, "boss")
    authorise(api, boss)
    clerk = token_of(api, "clerk")
    assert authorise(api, clerk, username="another").status_code == 403
    assert api.client.post("/api/v1/applicants/agents/clerk/revoke", headers=as_token(clerk),
                           json={"reason": "me"}).status_code == 403


def test_revoking_an_unknown_agent_is_404(api):
    register(api)
    response = api.client.post("/api/v1/applicants/agents/nobody/revoke", headers=as_token(token_of(api, "boss")),
                               json={"reason": "who?"})
    assert response.status_code == 404


def test_two_step_sign_in_through_the_api(api):
    intake = api.tokens["intake"]
    enrolment = api.client.post("/api/v1/auth/totp", headers=as_token(intake)).get_json()
    totp = pyotp.TOTP(enrolment["secret"])
    confirm = api.client.post("/api/v1/auth/totp/confirm", headers=as_token(intake),
                              json={"code": totp.at(_now() - 30), "password": PASSWORD})
    assert confirm.status_code == 200 and confirm.get_json()["totp_enabled"] is True
    missing = api.post("/auth/token", {"username": "intake", "password": PASSWORD})
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "otp_required"
    wrong = api.post("/auth/token", {"username": "intake", "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "unauthenticated"
    token = token_of(api, "intake", otp=totp.now())
    again = api.post("/auth/token", {"username": "intake", "password": PASSWORD, "otp": totp.now()})
    assert again.status_code == 401  # a code is used once
    off = api.client.post("/api/v1/auth/totp/disable", headers=as_token(token),
                          json={"password": PASSWORD, "code": totp.at(_now() + 30)})
    assert off.status_code == 200 and off.get_json()["totp_enabled"] is False
    assert token_of(api, "intake")


def _now() -> int:
    import time

    return int(time.time())
