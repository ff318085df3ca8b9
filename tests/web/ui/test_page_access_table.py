"""Who may open and post what in the browser UI, as a table keyed by route, checked against ``app.url_map``.

Every route outside the JSON API (every endpoint and method of the url map) has an entry: the identities
for whom it succeeds (a page, or a redirect that is not the sign-in page), and how to build a request that
should succeed for them (a form with its CSRF token). A visitor who is not signed in is sent to sign in,
a signed-in user of another role gets the 403 page, and a refused form records nothing. A route added
without an entry fails ``test_every_route_of_the_ui_has_an_entry``: decide who may use it, then add it.

Identities: nobody, a user of each role, and three reviewers (``amr`` holds the restaurant case's business
licence, ``food`` its food permit in another department, ``psb`` nothing of it).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from stdnum.cn import uscc

from domain.shared.values import Actor, Role
from tests.conftest import VALID_CODE
from tests.web.api.test_cases import completed_case, item
from tests.web.api.test_notifications_api import failed_delivery
from tests.web.conftest import PASSWORD, Api
from tests.web.ui.conftest import BROWSER_ACCEPT, LazyTokens, Ui, make_ui
from tests.web.ui.test_desk import form as desk_form
from tests.web.ui.test_supervision import open_case

IDENTITIES: list[str | None] = [None, "intake", "amr", "food", "psb", "supervisor", "auditor", "admin"]
SIGNED_IN = set(IDENTITIES) - {None}
ANYONE = set(IDENTITIES)
REVIEWERS = {"amr", "food", "psb"}
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR)
Form = dict[str, str] | None  # None: a GET
Prepare = Callable[[Ui], tuple[str, Form]]


def memo(ui: Ui, name: str, make: Callable[[], Any]) -> Any:
    """``make()`` once per test: reads need one case, not one per identity."""
    cache = ui.app.extensions.setdefault("page_access_table", {})
    if name not in cache:
        cache[name] = make()
    return cache[name]


def _case(ui: Ui) -> str:
    """A restaurant case with both materials and both items in review (read only)."""
    return memo(ui, "case", lambda: _new_case(ui))


def _filed(ui: Ui) -> str:
    """A case an enterprise's representative filed online, waiting in pre-review (a new enterprise each time)."""
    base = f"91110000600{ui.services.runner.total_events():06d}"
    code = base + uscc.calc_check_digit(base)
    ui.services.accounts.register_enterprise(code, "网上申请有限公司", "法定代表人", f"rep-{code.lower()}",
                                             "a-long-enough-passphrase-9")
    applicant = ui.services.users.find_actor(f"rep-{code.lower()}")
    assert applicant is not None
    case_id = str(ui.services.cases.online.file(applicant, "restaurant-opening").id)
    ui.services.runner.catch_up()
    return case_id


def _poorly_rated(ui: Ui) -> str:
    """A withdrawn case rated 1 of 5 at the window: its follow-up is open."""
    case_id = _new_case(ui, accept=False)
    intake = Actor("intake", Role.INTAKE)
    ui.services.cases.intake.withdraw(intake, case_id, "changed plans")
    ui.services.cases.intake.rate(intake, case_id, 1, "太慢")
    ui.services.runner.catch_up()
    return case_id


def _new_case(ui: Ui, accept: bool = True) -> str:
    case_id = open_case(ui.services, f"YJS-TABLE-{ui.services.runner.total_events()}", accept=accept)
    ui.services.runner.catch_up()
    return case_id


def _escalated(ui: Ui) -> str:
    case_id = _new_case(ui)
    ui.services.cases.supervision.escalate(SUPERVISOR, case_id, "late", 1)
    return case_id


def _version(ui: Ui, case_id: str) -> str:
    return str(ui.services.cases.reads.get_case(SUPERVISOR, case_id).version)


def _certificate(ui: Ui) -> str:
    return memo(ui, "certificate", lambda: item(completed_case(ui.api), "business-licence")["certificate"]["number"])


def _number(ui: Ui) -> str:
    return ui.services.cases.reads.get_case(SUPERVISOR, _case(ui)).number


def _supervise(action: str, data: dict[str, str], escalated: bool = False) -> Prepare:
    """A supervision action's page (GET) or form (POST) on a fresh case."""
    def prepare(ui: Ui) -> tuple[str, Form]:
        case_id = _escalated(ui) if escalated else _new_case(ui)
        return f"/supervision/cases/{case_id}/{action}", {"version": _version(ui, case_id), **data}
    return prepare


def _get(prepare: Prepare) -> Prepare:
    return lambda ui: (prepare(ui)[0], None)


URGE = _supervise("items/business-licence/urge", {"reason": "请今天办结"})
ASSIGN = _supervise("items/business-licence/assign", {"reviewer": "amr", "reason": "专人"})
TRANSFER = _supervise("items/business-licence/transfer", {"to_department": "psb", "reason": "转办"})
OWNER = _supervise("owner", {"owner": "intake2", "reason": "休假"})
ESCALATE = _supervise("escalate", {"level": "1", "reason": "超期"})
RAISE = _supervise("escalations/1/raise", {"reason": "仍未办结"}, escalated=True)
RESOLVE = _supervise("escalations/1/resolve", {"reason": "已办结"}, escalated=True)


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _uploaded(ui: Ui) -> str:
    """A case whose ID card was uploaded as a file (read only); its digest is in the applicant's vault."""
    def make() -> str:
        case_id = _new_case(ui)
        ui.services.materials.upload(Actor("intake", Role.INTAKE), case_id, "id-card", io.BytesIO(PDF), "id.pdf")
        ui.services.runner.catch_up()
        return case_id
    return memo(ui, "uploaded", make)


def _latest(ui: Ui, case_id: str, key: str) -> int:
    return ui.services.cases.reads.get_case(SUPERVISOR, case_id).materials[key].files[-1].version


def _reuse(ui: Ui) -> tuple[str, Form]:
    sha = ui.services.cases.reads.get_case(SUPERVISOR, _uploaded(ui)).materials["id-card"].sha256
    return f"/cases/{_new_case(ui)}/materials/id-card/reuse", {"sha256": sha}


def _item_action(ui: Ui) -> tuple[str, Form]:
    case_id = _new_case(ui, accept=False)
    return f"/cases/{case_id}/items/business-licence/accept", {"version": _version(ui, case_id)}


def _registration(ui: Ui) -> dict[str, str]:
    """A new enterprise each time (a credit code of its own), with its representative."""
    n = ui.services.runner.total_events()
    base = f"91110000600{n:06d}"
    password = "a-long-enough-passphrase-9"
    return {"credit_code": base + uscc.calc_check_digit(base), "enterprise_name": "泉城小馆餐饮有限公司",
            "representative_name": "王老板", "username": f"rep-{n}", "password": password,
            "confirm_password": password}


# endpoint -> method -> (identities for whom it succeeds, the request): every route of the UI, once
TABLE: dict[str, dict[str, tuple[set[str | None], Prepare]]] = {
    # Anyone's
    "static": {"GET": (ANYONE, lambda ui: ("/static/app.css", None))},
    "public.health": {"GET": (ANYONE, lambda ui: ("/healthz", None))},
    "ui.home": {"GET": (ANYONE, lambda ui: ("/", None))},
    "ui.login": {"GET": (ANYONE, lambda ui: ("/login", None)),
                 "POST": (ANYONE, lambda ui: ("/login", {"username": "amr", "password": PASSWORD}))},
    "ui.logout": {"POST": (ANYONE, lambda ui: ("/logout", {}))},
    "ui.language": {"GET": (ANYONE, lambda ui: ("/lang/en", None)), "POST": (ANYONE, lambda ui: ("/lang/en", {}))},
    "ui_public.verify": {"GET": (ANYONE, lambda ui: ("/verify", None))},
    "ui_public.verify_number": {"GET": (ANYONE, lambda ui: (f"/verify/{_certificate(ui)}", None))},
    "ui_public.progress": {"GET": (ANYONE, lambda ui: ("/progress", None)),
                           "POST": (ANYONE, lambda ui: ("/progress", {"number": _number(ui),
                                                                      "credit_code": VALID_CODE}))},
    "ui_accounts.register": {"GET": (ANYONE, lambda ui: ("/apply/register", None)),
                             "POST": (ANYONE, lambda ui: ("/apply/register", _registration(ui)))},
    # Everyone signed in
    "ui_accounts.security": {"GET": (SIGNED_IN, lambda ui: ("/me/security", None)),
                             "POST": (SIGNED_IN, lambda ui: ("/me/security", {"action": "enrol"}))},
    "ui.dashboard": {"GET": (SIGNED_IN, lambda ui: ("/home", None))},
    "ui.password": {"GET": (SIGNED_IN, lambda ui: ("/account/password", None)),
                    "POST": (SIGNED_IN, lambda ui: ("/account/password", {
                        "current_password": PASSWORD, "new_password": "a-new-and-long-passphrase-7",
                        "confirm_password": "a-new-and-long-passphrase-7"}))},
    "ui_case.show": {"GET": (SIGNED_IN - {"psb"}, lambda ui: (f"/cases/{_case(ui)}", None))},
    "ui_case.item_action": {"POST": ({"amr"}, _item_action)},  # amr's own item: not food's or psb's department
    "ui_case.material_file": {"GET": (SIGNED_IN - {"psb"}, lambda ui: (
        f"/cases/{_uploaded(ui)}/materials/id-card/files/{_latest(ui, _uploaded(ui), 'id-card')}", None))},
    "ui_case.upload_material": {"POST": ({"intake"}, lambda ui: (
        f"/cases/{_new_case(ui)}/materials/floor-plan/files", {"file": (io.BytesIO(PDF), "plan.pdf")}))},
    "ui_case.reuse_material": {"POST": ({"intake"}, _reuse)},
    "ui_case.certificate_document": {"GET": (SIGNED_IN - {"psb"}, lambda ui: (
        f"/certificates/{_certificate(ui)}/document", None))},
    # An enterprise's legal representative (no staff identity)
    "ui_accounts.agents": {"GET": (set(), lambda ui: ("/me/agents", None)),
                           "POST": (set(), lambda ui: ("/me/agents", {
                               "username": "clerk", "password": "a-long-enough-passphrase-9", "until": "2099-01-01"}))},
    "ui_accounts.revoke": {"POST": (set(), lambda ui: ("/me/agents/clerk/revoke", {"reason": "left"}))},
    # Intake
    "ui_desk.index": {"GET": ({"intake"}, lambda ui: ("/desk", None))},
    "ui_desk.pre_review": {"GET": ({"intake", "supervisor"}, lambda ui: ("/desk/pre-review", None))},
    "ui_desk.accept_filing": {"POST": ({"intake"}, lambda ui: (f"/desk/cases/{_filed(ui)}/accept-filing", {}))},
    "ui_desk.return_filing": {"POST": ({"intake"}, lambda ui: (
        f"/desk/cases/{_filed(ui)}/return-filing", {"missing": "id-card", "reason": "请上传身份证"}))},
    "ui_supervision.follow_ups": {"GET": ({"supervisor", "auditor"}, lambda ui: ("/supervision/follow-ups", None))},
    "ui_supervision.close_follow_up": {"POST": ({"supervisor"}, lambda ui: (
        f"/supervision/follow-ups/{_poorly_rated(ui)}/close", {"return_visit": "电话回访", "reason": "整改完成"}))},
    # The applicant's own pages (an applicant's access is tested in tests/web/ui/test_applicant_pages.py)
    "ui_applicant.home": {"GET": (set(), lambda ui: ("/me", None))},
    "ui_applicant.choose": {"GET": (set(), lambda ui: ("/me/file", None))},
    "ui_applicant.file": {"GET": (set(), lambda ui: ("/me/file/restaurant-opening", None)),
                          "POST": (set(), lambda ui: ("/me/file/restaurant-opening", {}))},
    "ui_applicant.case": {"GET": (set(), lambda ui: (f"/me/cases/{_case(ui)}", None))},
    "ui_applicant.upload": {"POST": (set(), lambda ui: (f"/me/cases/{_case(ui)}/materials/id-card", {}))},
    "ui_applicant.rate": {"POST": (set(), lambda ui: (f"/me/cases/{_case(ui)}/rating", {"score": "5"}))},
    "ui_applicant.withdraw": {"POST": (set(), lambda ui: (f"/me/cases/{_case(ui)}/withdraw", {"reason": "x"}))},
    "ui_applicant.petition": {"POST": (set(), lambda ui: (
        f"/me/cases/{_case(ui)}/petition", {"subject": "x", "text": "y"}))},
    "ui_desk.bundle": {"GET": ({"intake"}, lambda ui: ("/desk/bundles/restaurant-opening", None))},
    "ui_desk.open_case": {"GET": ({"intake"}, lambda ui: ("/desk/bundles/restaurant-opening/open", None)),
                          "POST": ({"intake"}, lambda ui: ("/desk/bundles/restaurant-opening/open", desk_form()))},
    "ui_desk.vault_offers": {"GET": ({"intake"}, lambda ui: (
        f"/desk/bundles/restaurant-opening/vault?credit_code={VALID_CODE}", None))},
    "ui_desk.check_code": {"POST": ({"intake"}, lambda ui: ("/desk/check-code", {"credit_code": VALID_CODE}))},
    "ui_desk.receipt": {"GET": ({"intake"}, lambda ui: (f"/desk/cases/{_case(ui)}/receipt", None))},
    # Reviewers
    "ui_queue.index": {"GET": (REVIEWERS, lambda ui: ("/queue", None))},
    # Supervisors
    "ui_supervision.board": {"GET": ({"supervisor"}, lambda ui: ("/supervision", None))},
    "ui_supervision.figures": {"GET": ({"supervisor", "auditor"}, lambda ui: ("/supervision/figures", None))},
    "ui_supervision.urge": {"GET": ({"supervisor"}, _get(URGE)), "POST": ({"supervisor"}, URGE)},
    "ui_supervision.assign": {"GET": ({"supervisor"}, _get(ASSIGN)), "POST": ({"supervisor"}, ASSIGN)},
    "ui_supervision.transfer": {"GET": ({"supervisor"}, _get(TRANSFER)), "POST": ({"supervisor"}, TRANSFER)},
    "ui_supervision.reassign_owner": {"GET": ({"supervisor"}, _get(OWNER)), "POST": ({"supervisor"}, OWNER)},
    "ui_supervision.escalate": {"GET": ({"supervisor"}, _get(ESCALATE)), "POST": ({"supervisor"}, ESCALATE)},
    "ui_supervision.raise_escalation": {"GET": ({"supervisor"}, _get(RAISE)), "POST": ({"supervisor"}, RAISE)},
    "ui_supervision.resolve": {"GET": ({"supervisor"}, _get(RESOLVE)), "POST": ({"supervisor"}, RESOLVE)},
    # Auditors
    "ui_audit.index": {"GET": ({"auditor"}, lambda ui: ("/audit", None))},
    "ui_audit.audit_log": {"GET": ({"auditor"}, lambda ui: ("/audit/log", None))},
    "ui_audit.verify_store": {"POST": ({"auditor"}, lambda ui: ("/audit/verify", {}))},
    "ui_audit.case": {"GET": ({"auditor"}, lambda ui: (f"/audit/cases/{_case(ui)}", None))},
    "ui_audit.replay": {"GET": ({"auditor"}, lambda ui: (f"/audit/cases/{_case(ui)}/replay?version=1", None))},
    "ui_audit.diff": {"GET": ({"auditor"}, lambda ui: (f"/audit/cases/{_case(ui)}/diff?from=1&to=2", None))},
    "ui_audit.verify_case": {"POST": ({"auditor"}, lambda ui: (f"/audit/cases/{_case(ui)}/verify", {}))},
    "ui_audit.export": {"GET": ({"auditor"}, lambda ui: (f"/audit/cases/{_case(ui)}/export.csv", None))},
    # Notifications (the inbox is for applicants: none of these identities is one; see test_notification_pages)
    "ui_notifications.inbox": {"GET": (set(), lambda ui: ("/me/notifications", None))},
    "ui_notifications.deliveries": {"GET": ({"supervisor", "auditor"}, lambda ui: (
        "/supervision/deliveries?state=failed", None))},
    "ui_notifications.retry": {"POST": ({"supervisor"}, lambda ui: (
        f"/supervision/deliveries/{failed_delivery(ui.services)}/retry", {"state": "failed"}))},
}

def ui_routes(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every route outside the JSON API in the url map."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def tabled() -> set[tuple[str, str]]:
    return {(endpoint, method) for endpoint, methods in TABLE.items() for method in methods}


@pytest.fixture
def app(ui_users):
    """The UI with CSRF on and rate limits off (each identity signs in once per route)."""
    return make_ui(ui_users, RATELIMIT_ENABLED=False).app


def test_every_route_of_the_ui_has_an_entry(app):
    routes = ui_routes(app)
    assert routes - tabled() == set(), "routes without an entry: decide who may use them and add them to TABLE"
    assert tabled() - routes == set(), "entries without a route"


def test_no_route_is_dead_behind_another_with_the_same_path(app):
    """A route registered after another with the same path and method never answers (as "/" once did)."""
    seen: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (rule.rule, method) not in seen, f"{rule.endpoint} is dead behind {seen[(rule.rule, method)]}"
            seen[(rule.rule, method)] = rule.endpoint


def as_identity(app, services, who: str | None) -> Ui:
    """A browser of its own, signed in as ``who`` (or nobody)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    browser = Ui(app, client, services, Api(client, services, LazyTokens(client)))
    if who:
        browser.login_as(who)
    return browser


def outcome(response) -> str:
    """``ok`` (a page, or a redirect elsewhere than the sign-in page), ``sign-in``, or the status."""
    location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
    if response.status_code in (204, 302, 303) and location.startswith("/login"):
        return "sign-in"
    return "ok" if response.status_code < 400 else str(response.status_code)


def expected_outcome(allowed: set[str | None], who: str | None) -> str:
    if who in allowed:
        return "ok"
    return "sign-in" if who is None else "403"


@pytest.mark.parametrize("endpoint, method", [(e, m) for e, methods in TABLE.items() for m in methods])
def test_each_identity_gets_what_the_table_says(app, ui_users, endpoint, method):
    allowed, prepare = TABLE[endpoint][method]
    setup = as_identity(app, ui_users, None)  # prepares through the services and the JSON API
    adapter = app.url_map.bind("localhost")
    wrong = []
    for who in IDENTITIES:
        browser = as_identity(app, ui_users, who)
        path, form = prepare(setup)
        assert adapter.match(path.split("?")[0], method)[0] == endpoint, path  # the table's own check
        before = ui_users.runner.total_events()
        response = browser.client.get(path) if form is None else browser.post(path, form)
        got, expected = outcome(response), expected_outcome(allowed, who)
        if got != expected:
            wrong.append((who, expected, got, response.headers.get("Location")))
        elif expected != "ok" and method == "POST" and ui_users.runner.total_events() != before:
            wrong.append((who, "nothing recorded", "an event", None))
    assert wrong == [], f"{method} {endpoint}: (identity, expected, got, location)"


def test_the_table_is_routes_times_identities():
    assert len(IDENTITIES) == 8 and len(tabled()) >= 46  # 46 routes × 8 identities when this table was made
