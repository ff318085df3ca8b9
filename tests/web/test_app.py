"""The Flask app factory and its public pages."""

from __future__ import annotations

import pytest

from web import create_app
from web.errors import status_of


@pytest.fixture
def client(services):
    app = create_app({"SERVICES": services, "TESTING": True})
    return app.test_client()


def test_the_home_page_lists_the_published_bundles_from_the_read_models(client, services):
    assert "开餐馆一件事" not in client.get("/").get_data(as_text=True)  # not projected yet
    services.runner.catch_up()
    page = client.get("/").get_data(as_text=True)
    assert "开餐馆一件事" in page and "Open a restaurant" in page


def test_health_answers_ok(client):
    assert client.get("/healthz").get_json() == {"ok": True}


def test_an_unknown_path_answers_json(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_errors_map_to_the_statuses_of_the_api_contract():
    from application.common import errors as a
    from domain.shared import errors as d

    assert status_of(a.InvalidInput("x")) == 422
    assert status_of(a.CaseNotFound("x")) == 404
    assert status_of(a.NotAllowed("x")) == 403
    assert status_of(a.VersionConflict("x")) == 409
    assert status_of(d.PrerequisiteNotMet("x")) == 409
