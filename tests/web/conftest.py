"""Fixtures for the JSON API: a client, a user of every role, and a helper to call as one of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from tests.conftest import ADMIN, restaurant_file
from web import create_app

PASSWORD = "password-for-tests"
USERS = {  # username -> (role, department)
    "intake": ("intake", None), "intake2": ("intake", None), "amr": ("reviewer", "amr"),
    "food": ("reviewer", "amr-food"), "psb": ("reviewer", "psb"), "supervisor": ("supervisor", None),
    "auditor": ("auditor", None), "admin": ("admin", None),
}


class ConsistentClient(FlaskClient):
    """A test client that behaves as shared/API.md asks of API clients: each caller (``Authorization``) sends
    back the ``X-Consistency-Token`` of its last write, so its reads include its writes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consistency_tokens: dict[str, str] = {}

    def open(self, *args: Any, **kwargs: Any) -> Any:
        headers = Headers(kwargs.get("headers") or {})
        caller = headers.get("Authorization")
        if caller and "X-Consistency-Token" not in headers and caller in self.consistency_tokens:
            headers["X-Consistency-Token"] = self.consistency_tokens[caller]
            kwargs["headers"] = headers
        response = super().open(*args, **kwargs)
        token = response.headers.get("X-Consistency-Token")
        if caller and token:
            self.consistency_tokens[caller] = token
        return response


@dataclass
class Api:
    """Calls /api/v1 as a given user (or nobody) and reads the event store."""

    client: Any
    services: Any
    tokens: dict[str, str]

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return {**headers, **extra}

    def get(self, path: str, who: str | None = None, **extra: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers(who, **extra))

    def post(self, path: str, body: Any = None, who: str | None = None, **extra: str) -> Any:
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {},
                                headers=self.headers(who, **extra))

    def open_case(self, who: str = "intake", channel: str = "window") -> dict[str, Any]:
        response = self.post("/cases", {"bundle": "restaurant-opening", "channel": channel,
                                        "applicant": {"name": "泉城小馆餐饮有限公司",
                                                      "credit_code": "91110000600037341L"}}, who)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def events(self) -> int:
        """How many events all event stores hold (a refused request must not change it)."""
        return self.services.runner.total_events()


@pytest.fixture
def api(services) -> Api:
    """The API on a fresh SQLite database with the restaurant bundle and a user of every role."""
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    services.runner.catch_up()
    app = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": False})
    app.test_client_class = ConsistentClient
    client = app.test_client()
    tokens = {}
    for username in USERS:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        tokens[username] = response.get_json()["token"]
    return Api(client, services, tokens)


__all__ = ["Api", "PASSWORD", "USERS", "restaurant_file"]
