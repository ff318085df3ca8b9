"""The applicant's inbox page and the supervisor's deliveries page, with its retry button.

Applicant accounts with an enterprise come with enterprise registration; here a signed-in applicant user is
given its enterprise by a stand-in for the session's actor, so the pages' rules are tested on their own.
"""

from __future__ import annotations

import pytest

from domain.shared.values import Actor, Role
from tests.application.helpers import complete_restaurant, open_restaurant
from tests.conftest import ADMIN, VALID_CODE
from tests.web.api.test_notifications_api import OTHER_CODE, failed_delivery
from tests.web.conftest import PASSWORD
from web.ui.notifications import views


@pytest.fixture
def applicant_ui(ui, monkeypatch):
    """The UI with a completed case told to its enterprise, and an applicant user ``rep`` signed in."""
    ui.services.users.add_user(ADMIN, "rep", PASSWORD, "applicant")
    ui.services.runner.catch_up()
    case_id = open_restaurant(ui.services)
    complete_restaurant(ui.services, case_id)
    ui.services.notifier.send_due()
    ui.enterprise = VALID_CODE
    monkeypatch.setattr(views, "current_actor", lambda: Actor("rep", Role.APPLICANT, enterprise=ui.enterprise))
    ui.login("rep")
    return ui


def test_the_applicant_reads_its_notifications_newest_first_with_each_channels_state(applicant_ui):
    page = applicant_ui.page("/me/notifications")
    assert "已办结，电子证照已发放：营业执照、食品经营许可证" in page
    assert page.index("欢迎对本次服务作出评价") < page.index("「营业执照」已审批通过")
    assert 'class="notice-list"' in page and "<table" not in page  # a list that reads on a phone
    assert page.count("notice-deliveries") == 4


def test_the_inbox_is_shown_in_english_when_english_is_chosen(applicant_ui):
    with applicant_ui.client.session_transaction() as session:
        session["lang"] = "en"
    page = applicant_ui.page("/me/notifications")
    assert "e-licences are ready to download" in page


def test_another_enterprise_sees_an_empty_inbox(applicant_ui):
    applicant_ui.enterprise = OTHER_CODE
    page = applicant_ui.page("/me/notifications")
    assert "notice-list" not in page and "empty-state" in page


@pytest.mark.parametrize("role", ["intake", "amr", "supervisor", "auditor", "admin"])
def test_staff_have_no_inbox_page(ui, role):
    ui.login_as(role)
    assert ui.client.get("/me/notifications").status_code == 403


def test_a_supervisor_sees_the_failed_delivery_and_retries_it(ui):
    delivery = failed_delivery(ui.services)
    ui.login_as("supervisor")
    page = ui.page("/supervision/deliveries")
    assert "550 mailbox unavailable" in page and "r***@example.com" in page
    assert f"/supervision/deliveries/{delivery}/retry" in page
    answer = ui.post(f"/supervision/deliveries/{delivery}/retry", {"state": "failed"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/supervision/deliveries?state=failed")
    assert f"/supervision/deliveries/{delivery}/retry" not in ui.page("/supervision/deliveries")
    retrying = ui.page("/supervision/deliveries?state=retrying")
    assert "550 mailbox unavailable" in retrying


def test_an_auditor_reads_the_deliveries_without_a_retry_button(ui):
    delivery = failed_delivery(ui.services)
    ui.login_as("auditor")
    page = ui.page("/supervision/deliveries")
    assert "550 mailbox unavailable" in page and f"{delivery}/retry" not in page
    assert ui.post(f"/supervision/deliveries/{delivery}/retry", {}).status_code == 403


def test_the_header_links_supervisors_to_the_deliveries(ui):
    ui.login_as("supervisor")
    assert 'href="/supervision/deliveries"' in ui.page("/supervision")
