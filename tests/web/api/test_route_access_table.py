"""Who may call what in the JSON API, as a table keyed by route, checked against ``app.url_map``.

Every route of the API (every endpoint and method of the url map under ``/api/v1``) has an entry: the
identities that get a 2xx answer, and how to build a request that should succeed for them. Everybody else
gets 403 (401 without a token) and nothing is written. A route added without an entry fails
``test_every_route_of_the_api_has_an_entry``: decide who may call it, then add it here.

The identities are a user of each role and, for the department dimension, three reviewers: ``amr`` holds
the business licence of the restaurant case, ``food`` holds its food permit (another department of the
same case), ``psb`` holds no item of it.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
from stdnum.cn import uscc

from infrastructure.audit.offline_verifier import generate_key
from tests.web.api.test_access import (
    APPLICANT,
    PETITION,
    SHA,
    _accepted,
    _answered_petition,
    _certificate,
    _escalated,
    _open,
    _petition,
    _routed_petition,
    _with_id_card,
    _withdrawn,
)
from tests.web.api.test_cases import ok
from tests.web.api.test_notifications_api import failed_delivery
from tests.web.conftest import PASSWORD, USERS
from web import create_app

IDENTITIES: list[str | None] = [*USERS, None]  # None: no token
INTAKE = {"intake", "intake2"}
SIGNED_IN = set(USERS)
ANYONE = SIGNED_IN | {None}
READERS_OF_THE_CASE = SIGNED_IN - {"psb"}  # psb holds no item of the restaurant case
Request = tuple[str, dict[str, Any] | None]  # path under /api/v1 (with its query), JSON body (None for GET)


def _disabled(api) -> str:
    username = f"leaver-{api.events()}"  # a new one for each identity
    ok(api.post("/users", {"username": username, "password": "a-long-enough-passphrase-9", "role": "intake"},
                "admin"), 201)
    ok(api.post(f"/users/{username}/disable", {"reason": "left"}, "admin"))
    return username


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Multipart(dict):
    """A multipart body (a file upload) instead of JSON: field → value, or (bytes, file name) for a file."""


def _uploaded(api) -> str:
    case_id = _open(api)
    sent = api.client.post(f"/api/v1/cases/{case_id}/materials/id-card/files",
                           data={"file": (io.BytesIO(PDF + str(api.events()).encode()), "id.pdf")},
                           content_type="multipart/form-data", headers=api.headers("intake"))
    assert sent.status_code == 201, sent.get_json()
    return case_id


def _in_the_vault(api) -> tuple[str, str]:
    """A second case of the applicant, and the digest of a file its vault holds from the first."""
    first = _uploaded(api)
    api.services.runner.catch_up()
    return _open(api), api.get(f"/cases/{first}", "intake").get_json()["materials"][0]["sha256"]


def _filed(api) -> str:
    """A case an enterprise's representative filed online, waiting in pre-review (a new enterprise each time)."""
    base = f"91110000600{api.events():06d}"
    code = base + uscc.calc_check_digit(base)
    api.services.accounts.register_enterprise(code, "网上申请有限公司", "法定代表人", f"rep-{code.lower()}",
                                              "a-long-enough-passphrase-9")
    applicant = api.services.users.find_actor(f"rep-{code.lower()}")
    return str(api.services.cases.online.file(applicant, "restaurant-opening").id)


def _poorly_rated(api) -> str:
    """A withdrawn case its applicant rated 1 of 5: its follow-up is open."""
    case_id = _withdrawn(api)
    ok(api.post(f"/cases/{case_id}/rating", {"score": 1, "comment": "太慢"}, "intake"))
    return case_id


def _checkpointed(api) -> str:
    case_id = _open(api)
    if not Path(api.services.settings.audit_key).exists():
        generate_key(api.services.settings.audit_key)
    api.services.audit.checkpoint(None)  # the operator signs one: a proof needs a checkpoint
    return case_id


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _fresh_code(api) -> str:
    base = f"91110000600{api.events():06d}"
    return base + uscc.calc_check_digit(base)


def _registration(api) -> dict[str, str]:
    return {"credit_code": _fresh_code(api), "enterprise_name": "泉城小馆餐饮有限公司", "representative_name": "王老板",
            "username": f"rep-{api.events()}", "password": "a-long-enough-passphrase-9"}


def _totp_code(api, enable: bool) -> str:
    """Every user enrolled with one known secret (and, with ``enable``, turned on); a code it takes now."""
    now = int(time.time())
    for username in USERS:
        user = api.services.users.user(username)
        if not user.totp_enabled:
            user.enrol_totp(TOTP_SECRET, user.as_actor())
            if enable:
                user.enable_totp(now // 30 - 1, user.as_actor())
            api.services.users.save(user)
    return pyotp.TOTP(TOTP_SECRET).at(now)


# endpoint -> method -> (identities that succeed, the request): every route of the API, once
TABLE: dict[str, dict[str, tuple[set[str | None], Callable[[Any], Request]]]] = {
    # Signing in and out, and the document (open: no token needed)
    "auth.sign_in": {"POST": (ANYONE, lambda api: ("/auth/token", {"username": "intake", "password": PASSWORD}))},
    "auth.sign_out": {"POST": (SIGNED_IN, lambda api: ("/auth/revoke", {}))},
    "auth.me": {"GET": (SIGNED_IN, lambda api: ("/auth/me", None))},
    "auth.change_password": {"POST": (SIGNED_IN, lambda api: (
        "/auth/password", {"current_password": PASSWORD, "new_password": "a-new-and-long-passphrase-7"}))},
    "auth.totp_enrol": {"POST": (SIGNED_IN, lambda api: ("/auth/totp", {}))},
    "auth.totp_confirm": {"POST": (SIGNED_IN, lambda api: (
        "/auth/totp/confirm", {"code": _totp_code(api, False), "password": PASSWORD}))},
    "auth.totp_disable": {"POST": (SIGNED_IN, lambda api: (
        "/auth/totp/disable", {"password": PASSWORD, "code": _totp_code(api, True)}))},
    "api-docs.openapi_json": {"GET": (ANYONE, lambda api: ("/openapi.json", None))},
    "api-docs.openapi_swagger_ui": {"GET": (ANYONE, lambda api: ("/docs", None))},
    "swagger_assets": {"GET": (ANYONE, lambda api: ("/docs/assets/swagger-ui.css", None))},
    # The catalogue and certificates
    "catalogue.bundles": {"GET": (SIGNED_IN, lambda api: ("/bundles", None))},
    "catalogue.roadmap": {"GET": (SIGNED_IN, lambda api: ("/bundles/restaurant-opening/roadmap", None))},
    "catalogue.certificate": {"GET": (ANYONE, lambda api: (f"/certificates/{_certificate(api)}", None))},
    # Cases
    "cases.open_case": {"POST": (INTAKE, lambda api: (
        "/cases", {"bundle": "restaurant-opening", "channel": "window", "applicant": APPLICANT}))},
    "boards.case_list": {"GET": (SIGNED_IN, lambda api: ("/cases", None))},
    "cases.read_case": {"GET": (READERS_OF_THE_CASE, lambda api: (f"/cases/{_open(api)}", None))},
    "cases.history": {"GET": (READERS_OF_THE_CASE, lambda api: (f"/cases/{_open(api)}/history", None))},
    "cases.submit_material": {"POST": (INTAKE, lambda api: (
        f"/cases/{_open(api)}/materials", {"key": "id-card", "filename": "id.pdf", "sha256": SHA}))},
    "cases.accept_with_deficiency": {"POST": (INTAKE, lambda api: (
        f"/cases/{_open(api)}/deficiency", {"missing": ["floor-plan"], "supplement_due": "2099-01-05"}))},
    "cases.item_action": {"POST": ({"amr"}, lambda api: (  # amr's own item; food's and psb's departments may not
        f"/cases/{_with_id_card(api)}/items/business-licence/accept", {}))},
    "cases.escalate": {"POST": ({"supervisor"}, lambda api: (
        f"/cases/{_open(api)}/escalations", {"reason": "late", "level": 1}))},
    "cases.resolve": {"POST": ({"supervisor"}, lambda api: (
        f"/cases/{_escalated(api)}/escalations/1/resolve", {"reason": "done"}))},
    "cases.raise_escalation": {"POST": ({"supervisor"}, lambda api: (
        f"/cases/{_escalated(api)}/escalations/1/raise", {"reason": "still late"}))},
    "cases.upload_material_file": {"POST": (INTAKE, lambda api: (
        f"/cases/{_open(api)}/materials/id-card/files", Multipart(file=(PDF, "id.pdf"), reason="scanned")))},
    "cases.material_file": {"GET": (READERS_OF_THE_CASE, lambda api: (
        f"/cases/{_uploaded(api)}/materials/id-card/files/1", None))},
    "cases.reuse_material": {"POST": (INTAKE, lambda api: (
        lambda second, sha: (f"/cases/{second}/materials/id-card/reuse", {"sha256": sha}))(*_in_the_vault(api)))},
    "applicants.vault": {"GET": (INTAKE | {"supervisor", "auditor"}, lambda api: (
        "/applicants/91110000600037341L/vault", None))},
    # Enterprises online (网上办): anyone registers one; only its representative manages agents (no staff)
    "cases.accept_filing": {"POST": (INTAKE, lambda api: (f"/cases/{_filed(api)}/intake/accept", {}))},
    "cases.return_filing": {"POST": (INTAKE, lambda api: (
        f"/cases/{_filed(api)}/intake/return", {"missing": ["id-card"], "reason": "请上传身份证"}))},
    "cases.pre_review": {"GET": (INTAKE | {"supervisor"}, lambda api: ("/cases/pre-review", None))},
    "cases.follow_ups": {"GET": ({"supervisor", "auditor"}, lambda api: ("/cases/follow-ups?state=", None))},
    "cases.close_follow_up": {"POST": ({"supervisor"}, lambda api: (
        f"/cases/{_poorly_rated(api)}/rating/follow-up", {"return_visit": "电话回访", "reason": "整改完成"}))},
    "me.my_cases": {"GET": (set(), lambda api: ("/me/cases", None))},  # applicants only
    "applicants.register": {"POST": (ANYONE, lambda api: ("/applicants/register", _registration(api)))},
    "applicants.authorise_agent": {"POST": (set(), lambda api: (
        "/applicants/agents", {"username": "clerk", "password": "a-long-enough-passphrase-9", "until": "2099-01-01"}))},
    "applicants.agents": {"GET": (set(), lambda api: ("/applicants/agents", None))},
    "applicants.revoke_agent": {"POST": (set(), lambda api: ("/applicants/agents/clerk/revoke", {"reason": "left"}))},
    "catalogue.certificate_document": {"GET": (READERS_OF_THE_CASE, lambda api: (
        f"/certificates/{_certificate(api)}/document", None))},
    "credit.record_entries": {"POST": ({"admin"}, lambda api: ("/credit/entries", {"entries": [{
        "credit_code": "91110000600037341L", "list": "serious-dishonesty", "from": "2000-01-01", "to": "2000-12-31",
        "source": "a test"}]}))},
    "cases.withdraw": {"POST": (INTAKE, lambda api: (f"/cases/{_open(api)}/withdraw", {"reason": "changed plans"}))},
    "cases.reassign": {"POST": ({"intake", "supervisor"}, lambda api: (  # the owner (intake opened it) or a supervisor
        f"/cases/{_open(api)}/owner", {"owner": "intake2", "reason": "on leave"}))},
    "cases.rate": {"POST": (INTAKE, lambda api: (f"/cases/{_withdrawn(api)}/rating", {"score": 5}))},
    # Queues and boards
    "boards.queue": {"GET": ({"amr", "supervisor"}, lambda api: ("/queues/amr", None))},
    "boards.escalations": {"GET": ({"supervisor", "auditor"}, lambda api: ("/escalations?state=open", None))},
    "boards.kpis": {"GET": ({"supervisor", "auditor"}, lambda api: ("/kpis", None))},
    "boards.projection_lag": {"GET": ({"admin"}, lambda api: ("/admin/projections", None))},
    # Users and the calendar (admins)
    "users.add_user": {"POST": ({"admin"}, lambda api: (
        "/users", {"username": "newcomer", "password": "a-long-enough-passphrase-9", "role": "intake"}))},
    "users.disable": {"POST": ({"admin"}, lambda api: ("/users/psb/disable", {"reason": "left"}))},
    "users.enable": {"POST": ({"admin"}, lambda api: (f"/users/{_disabled(api)}/enable", {"reason": "back"}))},
    "calendar.declare_day": {"POST": ({"admin"}, lambda api: (
        "/calendar/days", {"day": "2027-10-09", "workday": True, "reason": "调休"}))},
    "calendar.declare_year": {"POST": ({"admin"}, lambda api: ("/calendar/years", {"year": 2027, "reason": "公布"}))},
    # Petitions
    "petitions.submit": {"POST": (INTAKE, lambda api: ("/petitions", PETITION))},
    "petitions.list_petitions": {"GET": (SIGNED_IN, lambda api: ("/petitions", None))},
    "petitions.figures": {"GET": ({"supervisor", "auditor"}, lambda api: ("/petitions/figures", None))},
    "petitions.read_petition": {"GET": (SIGNED_IN - {"food", "psb"}, lambda api: (  # routed to amr
        f"/petitions/{_routed_petition(api)}", None))},
    "petitions.route": {"POST": ({"supervisor"}, lambda api: (
        f"/petitions/{_petition(api)}/route", {"department": "amr"}))},
    "petitions.reroute": {"POST": ({"supervisor"}, lambda api: (
        f"/petitions/{_routed_petition(api)}/reroute", {"department": "psb", "reason": "转办"}))},
    "petitions.answer": {"POST": ({"amr"}, lambda api: (
        f"/petitions/{_routed_petition(api)}/answer", {"answer": "已办"}))},
    "petitions.escalate": {"POST": ({"supervisor"}, lambda api: (
        f"/petitions/{_routed_petition(api)}/escalate", {"reason": "督办"}))},
    "petitions.return_visit": {"POST": (INTAKE | {"supervisor"}, lambda api: (
        f"/petitions/{_answered_petition(api)}/return-visit", {"rating": 5, "satisfied": True}))},
    "petitions.close": {"POST": ({"supervisor"}, lambda api: (
        f"/petitions/{_petition(api)}/close", {"reason": "重复"}))},
    # The auditor's
    "audit.verify": {"GET": ({"auditor"}, lambda api: ("/audit/verify", None))},
    "audit.checkpoints": {"GET": ({"auditor"}, lambda api: ("/audit/checkpoints", None))},
    "audit.proof": {"GET": ({"auditor"}, lambda api: (f"/audit/proof?case={_checkpointed(api)}", None))},
    "audit.diff": {"GET": (READERS_OF_THE_CASE, lambda api: (f"/cases/{_accepted(api)}/diff?from=1&to=2", None))},
    "audit.export": {"GET": ({"auditor"}, lambda api: (f"/cases/{_open(api)}/export", None))},
    # Notifications (the inbox is for applicants: none of these identities is one; see test_notifications_api)
    "notifications.my_notifications": {"GET": (set(), lambda api: ("/me/notifications", None))},
    "notifications.deliveries": {"GET": ({"supervisor", "auditor"}, lambda api: (
        "/notifications/deliveries?state=failed", None))},
    "notifications.retry": {"POST": ({"supervisor"}, lambda api: (
        f"/notifications/deliveries/{failed_delivery(api.services)}/retry", {"reason": "mail server repaired"}))},
}


def api_routes(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every route of the API in the url map."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def tabled() -> set[tuple[str, str]]:
    return {(endpoint, method) for endpoint, methods in TABLE.items() for method in methods}


def test_every_route_of_the_api_has_an_entry(api):
    routes = api_routes(api.client.application)
    assert routes - tabled() == set(), "routes without an entry: decide who may call them and add them to TABLE"
    assert tabled() - routes == set(), "entries without a route"


def test_a_new_route_without_an_entry_is_noticed(api):
    app = create_app({"SERVICES": api.services, "TESTING": True})
    app.add_url_rule("/api/v1/cases/<case_id>/archive", "cases.archive", lambda case_id: "", methods=["POST"])
    assert api_routes(app) - tabled() == {("cases.archive", "POST")}


def expected_status(allowed: set[str | None], who: str | None) -> str:
    if who in allowed:
        return "2xx"
    return "401" if who is None else "403"


def status_class(status: int) -> str:
    return "2xx" if 200 <= status < 300 else str(status)


@pytest.mark.parametrize("endpoint, method", [(e, m) for e, methods in TABLE.items() for m in methods])
def test_each_identity_gets_what_the_table_says(api, endpoint, method):
    allowed, prepare = TABLE[endpoint][method]
    wrong = []
    for who in IDENTITIES:
        path, body = prepare(api)
        adapter = api.client.application.url_map.bind("localhost")
        assert adapter.match(f"/api/v1{path.split('?')[0]}", method)[0] == endpoint, path  # the table's own check
        before = api.events()
        if isinstance(body, Multipart):
            data = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in body.items()}
            response = api.client.post(f"/api/v1{path}", data=data, content_type="multipart/form-data",
                                       headers=api.headers(who))
        else:
            response = api.post(path, body, who) if method == "POST" else api.get(path, who)
        got, expected = status_class(response.status_code), expected_status(allowed, who)
        if got != expected:
            wrong.append((who, expected, got, (response.get_json(silent=True) or {}).get("error")))
        elif expected != "2xx" and api.events() != before:
            wrong.append((who, "nothing written", "an event", None))
    assert wrong == [], f"{method} {endpoint}: (identity, expected, got, error)"


def test_the_table_is_routes_times_identities():
    routes = sum(len(methods) for methods in TABLE.values())
    assert len(IDENTITIES) == 9 and routes >= 47  # 47 routes × 9 identities when this table was made
