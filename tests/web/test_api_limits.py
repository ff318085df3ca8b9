"""Signing in is rate-limited per client address; the answer follows the error model."""

from __future__ import annotations

from web import create_app
from web.api.limits import SIGN_IN_LIMIT, limiter


def test_the_eleventh_sign_in_in_a_minute_is_refused(services):
    app = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": True})
    limiter.reset()
    client = app.test_client()
    limit = int(SIGN_IN_LIMIT.split()[0])
    answers = [client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
               for _ in range(limit + 1)]
    assert answers[:limit] == [401] * limit
    assert answers[-1] == 429
    body = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).get_json()
    assert body["error"]["code"] == "too_many_requests"
    limiter.reset()
