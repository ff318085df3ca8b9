"""Fixtures for the web UI: an app with CSRF and rate limits on, users of every role, a browser-like client.

``ui.login_as("reviewer")`` signs in as that role's user the way a browser does: it reads the CSRF token
from the sign-in form and posts it. ``ui.post(path, data)`` adds the token of the current session to any
form. ``ui.api`` calls the JSON API (bearer tokens, no CSRF) to set up cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import ADMIN
from tests.web.conftest import PASSWORD, USERS, Api
from web import create_app

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DISPLAY_NAMES = {"amr": "李审批", "food": "张食品", "intake": "王受理", "supervisor": "赵督办", "auditor": "钱审计",
                 "admin": "孙管理"}
ROLE_USERS = {"intake": "intake", "reviewer": "amr", "supervisor": "supervisor", "auditor": "auditor",
              "admin": "admin"}  # one user of each role
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')  # a form, or htmx's header


class LazyTokens(dict):
    """API tokens, fetched the first time a user needs one (each sign-in counts against the API's limit)."""

    def __init__(self, client: Any):
        super().__init__()
        self.client = client

    def __missing__(self, username: str) -> str:
        response = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        self[username] = response.get_json()["token"]
        return self[username]


@dataclass
class Ui:
    """A browser-like client of the UI, and the services behind it."""

    app: Any
    client: Any
    services: Any
    api: Api

    def page(self, path: str, status: int = 200) -> str:
        """GET ``path``, check the status, return the HTML."""
        response = self.client.get(path)
        assert response.status_code == status, (response.status_code, response.headers.get("Location"))
        return response.get_data(as_text=True)

    def csrf_token(self, path: str = "/verify") -> str:
        """The CSRF token of this session, read from a page as a browser has it (every page carries it)."""
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        match = CSRF_FIELD.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        """POST a form to ``path`` (with the session's CSRF token unless ``csrf=False``)."""
        form = dict(data or {})
        if csrf and "csrf_token" not in form:
            form["csrf_token"] = self.csrf_token()
        return self.client.post(path, data=form, **kwargs)

    def login(self, username: str, password: str = PASSWORD, next: str | None = None) -> Any:  # noqa: A002
        """Sign in through the form (its CSRF token read from the sign-in page); return the response."""
        token = self.csrf_token("/login")
        path = "/login" + (f"?next={quote(next, safe='')}" if next else "")
        return self.post(path, {"username": username, "password": password, "csrf_token": token})

    def login_as(self, role: str) -> str:
        """Sign in as the user of ``role`` (or as a username of tests.web.conftest.USERS); return the username."""
        username = ROLE_USERS.get(role, role)
        response = self.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return username

    def logout(self) -> Any:
        """Sign out with the form in the header."""
        return self.post("/logout")


def make_ui(services: Any, **config: Any) -> Ui:
    """An app on ``services`` with CSRF and rate limits on, and a client that asks for HTML like a browser."""
    app = create_app({"SERVICES": services, "TESTING": True, "SECRET_KEY": "ui-test-secret",
                      "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True, **config})
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return Ui(app, client, services, Api(client, services, LazyTokens(client)))


@pytest.fixture
def ui_users(services: Any) -> Any:
    """The services with a user of every role (tests.web.conftest.USERS), projected."""
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department, DISPLAY_NAMES.get(username, ""))
    services.runner.catch_up()
    return services


@pytest.fixture
def ui(ui_users: Any) -> Ui:
    """The UI on a fresh SQLite database with the restaurant bundle and a user of every role."""
    return make_ui(ui_users)
