"""Security headers on every response: a Content-Security-Policy without inline script, no framing, no sniffing,
a same-origin referrer, and nothing but static files stored by browsers or proxies (web/headers.py).

``test_every_route_answers_with_the_security_headers`` walks every rule of ``app.url_map`` — anonymous and
signed in as each role, GET where the rule allows it, else its own method — so a new route is checked
without anyone adding it here. The other tests pin each finding of the security review.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.routing import IntegerConverter, Rule

from tests.conftest import ADMIN, make_services
from tests.web.conftest import PASSWORD, USERS
from tests.web.ui.conftest import ROLE_USERS, Ui, make_ui
from web import create_app
from web.headers import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"
STATIC_ENDPOINTS = {"static", "swagger_assets"}
INLINE = {  # what the CSP refuses to run or apply, as it appears in HTML
    "an inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "an event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "a style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "a <style> element": re.compile(r"<style[\s>]", re.I),
    "a javascript: link": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
}
LAST = ("ui.logout", "auth.sign_out")  # they end the session or token the walk uses: walked at the end


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: [sources]}."""
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0].lower(): words[1:] for words in parts}


def problems_of(response: Any, endpoint: str | None = None) -> list[str]:
    """What is missing or wrong in the security headers of ``response`` (empty when all is well)."""
    headers, found = response.headers, []
    policy = directives(headers.get("Content-Security-Policy", ""))
    if "sandbox" not in policy:  # a download may bring its own, stricter policy
        if policy.get("script-src") != ["'self'"]:
            found.append(f"script-src is {policy.get('script-src')}")
        for name, sources in (("frame-ancestors", ["'none'"]), ("object-src", ["'none'"]),
                              ("base-uri", ["'self'"]), ("form-action", ["'self'"]), ("default-src", ["'none'"])):
            if policy.get(name) != sources:
                found.append(f"{name} is {policy.get(name)}")
        if any("unsafe" in source for sources in policy.values() for source in sources):
            found.append("an 'unsafe-…' source")
    expected = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
    found += [f"{name}: {headers.get(name)}" for name, value in expected.items() if headers.get(name) != value]
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
        found.append(f"Referrer-Policy: {headers.get('Referrer-Policy')}")
    cacheable = endpoint in STATIC_ENDPOINTS and response.status_code < 400
    if not cacheable and not response.cache_control.no_store:
        found.append(f"Cache-Control: {headers.get('Cache-Control')}")
    if cacheable and (response.cache_control.no_store or response.cache_control.private):
        found.append("a static file is not cacheable")
    if "Server" in headers:
        found.append(f"Server: {headers['Server']}")
    if response.mimetype == "text/html" and endpoint not in STATIC_ENDPOINTS:
        text = response.get_data(as_text=True)
        found += [f"{what} in the page" for what, pattern in INLINE.items() if pattern.search(text)]
    return found


@pytest.fixture
def walk_ui(services: Any) -> Ui:
    """The UI with a user of every role, a case that the path arguments can name, and no rate limits."""
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    ui = make_ui(services, RATELIMIT_ENABLED=False)
    case = ui.api.open_case()
    ui.services.runner.catch_up()
    ui.case_id = case["id"]  # type: ignore[attr-defined]
    return ui


def plausible_path(rule: Rule, case_id: str) -> str:
    """The rule's path with a plausible value for each argument (a real case; known bundle, item, department)."""
    values = {"case_id": case_id, "code": "restaurant-opening", "item": "business-licence", "action": "accept",
              "department": "amr", "username": "intake2", "filename": "app.css", "name": "swagger-ui.css",
              "fmt": "json", "number": "restaurant-opening-1-1"}
    if rule.endpoint == "ui.language":
        values["code"] = "en"
    elif rule.endpoint == "ui_case.item_action":
        values["code"] = "business-licence"
    for argument, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[argument] = 1
        values.setdefault(argument, "x")  # a new argument name still gets a value
    return rule.build(values, append_unknown=False)[1]


def walk(ui: Ui, who: str | None) -> list[str]:
    """Request every rule of the app as ``who`` (None: anonymous); return each response's problems."""
    headers = {}
    if who:
        ui.login_as(who)
        headers["Authorization"] = f"Bearer {ui.api.tokens[ROLE_USERS[who]]}"
    rules = sorted(ui.app.url_map.iter_rules(), key=lambda rule: (rule.endpoint in LAST, rule.rule))
    problems = []
    for rule in rules:
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        path = plausible_path(rule, ui.case_id)  # type: ignore[attr-defined]
        extra = {"headers": headers}
        if method != "GET":
            extra["data"] = {"csrf_token": ui.csrf_token()} if not path.startswith("/api/") else None
            if path.startswith("/api/"):
                extra["json"] = {}
        response = ui.client.open(path, method=method, **extra)
        problems += [f"{who or 'anonymous'} {method} {path} ({response.status_code}): {problem}"
                     for problem in problems_of(response, rule.endpoint)]
    return problems


def test_every_route_answers_with_the_security_headers(walk_ui):
    problems = walk(walk_ui, None)
    for role in ROLE_USERS:
        problems += walk(walk_ui, role)
    assert problems == []
    assert len(list(walk_ui.app.url_map.iter_rules())) > 70  # the walk saw the whole app


@pytest.mark.parametrize(("method", "path", "accept", "signed_in", "status"), [
    ("GET", "/no-such-page", "text/html", False, 404),
    ("GET", "/no-such-page", "application/json", False, 404),
    ("GET", "/api/v1/no-such-thing", "application/json", False, 401),
    ("GET", "/api/v1/no-such-thing", "application/json", True, 404),
    ("DELETE", "/api/v1/cases", "application/json", True, 405),
    ("PUT", "/api/v1/docs", "text/html", False, 405),
    ("POST", "/login", "text/html", False, 400),  # no CSRF token
    ("POST", "/verify", "text/html", False, 405),
    ("GET", "/queue", "text/html", False, 302),  # to the sign-in page
    ("GET", "/cases/x/", "text/html", True, 404),
    ("GET", "/static/no-such-file.css", "text/html", False, 404),
    ("HEAD", "/login", "text/html", False, 200),
    ("OPTIONS", "/api/v1/cases", "application/json", True, 200),
    ("GET", "/api/v1/cases", "application/json", False, 401),
])
def test_errors_redirects_and_other_methods_carry_the_headers_too(walk_ui, method, path, accept, signed_in, status):
    headers = {"Accept": accept}
    if signed_in:
        walk_ui.login_as("supervisor")
        headers["Authorization"] = f"Bearer {walk_ui.api.tokens['supervisor']}"
    response = walk_ui.client.open(path, method=method, headers=headers)
    assert response.status_code == status or (status == 405 and response.status_code == 400)  # 400: CSRF first
    assert problems_of(response) == []


def test_a_server_error_page_carries_the_headers(services):
    app = create_app({"SERVICES": services, "TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/broken", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert problems_of(response) == []


# The findings of the security review, one by one ----------------------------------------------------------
def test_pages_have_a_content_security_policy_that_runs_no_inline_script(walk_ui):
    for path in ("/", "/login", "/verify", "/progress"):
        response = walk_ui.client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        script = directives(response.headers["Content-Security-Policy"])["script-src"]
        assert script == ["'self'"] and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script


def test_no_template_holds_inline_script_handlers_or_styles():
    found = [f"{path.relative_to(TEMPLATES)}: {what}" for path in sorted(TEMPLATES.rglob("*.html"))
             for what, pattern in INLINE.items() if pattern.search(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_roadmap_and_receipt_work_without_inline_style_or_script(walk_ui):
    walk_ui.login_as("intake")
    roadmap = walk_ui.page("/desk/bundles/restaurant-opening")
    assert re.search(r'<rect class="roadmap-bar" x="0(\.0)?" width="[\d.]+" height="1"', roadmap)
    receipt = walk_ui.page(f"/desk/cases/{walk_ui.case_id}/receipt")
    assert "data-print" in receipt and "onclick" not in receipt
    assert '/static/app.js"' in receipt
    assert walk_ui.client.get("/static/app.js").status_code == 200


def test_case_pages_are_never_stored(walk_ui):
    walk_ui.login_as("reviewer")
    response = walk_ui.client.get(f"/cases/{walk_ui.case_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_api_answers_are_not_stored_sniffed_or_framed(walk_ui):
    answers = [walk_ui.api.get("/cases", "supervisor"), walk_ui.api.get(f"/cases/{walk_ui.case_id}", "intake"),
               walk_ui.api.get("/auth/me", "auditor"), walk_ui.api.get("/cases"),
               walk_ui.api.post("/auth/token", {"username": "amr", "password": "not it"})]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 401, 401]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert directives(answer.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_an_audit_download_is_not_stored(walk_ui):
    walk_ui.login_as("auditor")
    response = walk_ui.client.get(f"/audit/cases/{walk_ui.case_id}/export.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.cache_control.no_store and problems_of(response) == []


def test_the_api_docs_page_carries_the_headers_and_starts_swagger_ui_from_a_file(walk_ui):
    page = walk_ui.client.get("/api/v1/docs")
    assert page.status_code == 200
    assert problems_of(page, "api-docs.openapi_swagger_ui") == []
    text = page.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in text and '/static/swagger-init.js"' in text
    assert 'data-spec-url="/api/v1/openapi.json"' in text
    document = walk_ui.client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and problems_of(document) == []
    script = walk_ui.client.get("/static/swagger-init.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")


def test_static_files_may_be_cached_but_are_not_sniffed(walk_ui):
    for path, endpoint in (("/static/app.css", "static"), ("/api/v1/docs/assets/swagger-ui.css", "swagger_assets")):
        response = walk_ui.client.get(path)
        assert response.status_code == 200
        assert not response.cache_control.no_store
        assert problems_of(response, endpoint) == []


def test_a_header_a_view_sets_itself_is_kept(services):
    app = create_app({"SERVICES": services, "TESTING": True})

    @app.get("/download")
    def download() -> Any:
        return "data", 200, {"Content-Security-Policy": "sandbox", "Referrer-Policy": "no-referrer"}

    response = app.test_client().get("/download")
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("workers", ["1", "2"], ids=["waitress", "gunicorn"])
def test_onething_run_sends_no_server_banner(sqlite_url, tmp_path, workers):
    make_services(sqlite_url)  # the schema, as `onething db init` makes it
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "ONETHING_DATABASE_URL": sqlite_url, "ONETHING_SECRET_KEY": "banner-test",
                   "ONETHING_AUDIT_KEY": str(tmp_path / "audit-key.pem")}
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "run", "--port",
                                   str(port), "--workers", workers, "--no-projections"],
                                  env=environment, stdout=output, stderr=output)
    try:
        answer = _first_answer(port, server, log)
        assert answer.status == 200
        assert answer.getheader("Server") is None and answer.getheader("Via") is None
        assert answer.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:  # the server answers this one itself
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n")
            reply = raw.recv(4096).decode("latin-1")
        assert reply.startswith("HTTP/1.1 400") and "\r\nserver:" not in reply.lower()
        assert "waitress" not in reply.lower() and "gunicorn" not in reply.lower()
    finally:
        server.terminate()
        server.wait(timeout=10)


def _first_answer(port: int, server: subprocess.Popen, log: Path) -> http.client.HTTPResponse:
    """The server's answer to GET /healthz, once it listens (within 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            answer = connection.getresponse()
            answer.read()
            connection.close()
            return answer
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"onething run did not answer: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
