"""A UI form sent again (a time-out, a lost answer, a double click) acts once, by its one-time request key."""

from __future__ import annotations

import io
import re

import pytest

from tests.web.ui.test_case_page import AUDITOR, events
from tests.web.ui.test_desk import OPEN, form, opened_case, stored_events
from tests.web.ui.test_queue import AMR, open_case
from tests.web.ui.test_supervision import case_id as supervised_case_id  # noqa: F401 - a fixture
from tests.web.ui.test_supervision import case_of


def form_on(html: str, form_id: str | None = None) -> dict[str, str]:
    """The hidden fields of a form in the page's main part (the first, or the one with ``form_id``): the CSRF
    token, the request key and what else it hides (the case version…)."""
    html = html[html.index(f'id="{form_id}"' if form_id else "<main"):]
    html = html[html.index('<form method="post"') if form_id is None else 0:]
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html[:html.index("</form>")]))
    assert {"csrf_token", "request_key"} <= set(hidden), hidden
    return hidden


def with_scan(sent: dict[str, str], content: bytes) -> dict[str, object]:
    """The form with a scan of the ID card attached (a fresh file each time, as a browser sends it)."""
    return {**sent, "file-id-card": (io.BytesIO(content), "id.pdf")}


def desk_form_fields(ui) -> dict[str, str]:
    """The desk's open-a-case form as the browser got it: a good form with the page's token and key."""
    return {**form(), **form_on(ui.page(OPEN))}


@pytest.fixture
def accepted_case(ui):
    """A restaurant case whose business licence the amr reviewer has accepted, projected."""
    case_id = open_case(ui.services)
    ui.services.cases.review.accept_item(AMR, case_id, "business-licence")
    ui.services.runner.catch_up()
    return case_id


# The desk ----------------------------------------------------------------------------------------
def test_the_desk_form_sent_twice_opens_one_case_and_both_answers_lead_to_it(ui):
    ui.login_as("intake")
    sent = desk_form_fields(ui)
    first = ui.client.post(OPEN, data=sent, content_type="multipart/form-data")
    case = opened_case(ui, first)
    before = stored_events(ui)
    again = ui.client.post(OPEN, data=sent, content_type="multipart/form-data")
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert stored_events(ui) == before  # no second case, no second material
    assert opened_case(ui, again).number == case.number
    receipt = ui.client.get(again.headers["Location"])
    assert receipt.status_code == 200 and case.number in receipt.get_data(as_text=True)


def test_a_desk_form_with_a_scan_sent_again_opens_one_case_and_another_scan_is_refused(ui):
    ui.login_as("intake")
    sent = desk_form_fields(ui)
    first = ui.client.post(OPEN, data=with_scan(sent, b"%PDF-1.4 scan"), content_type="multipart/form-data")
    before = stored_events(ui)
    changed = ui.client.post(OPEN, data=with_scan(sent, b"%PDF-1.4 another scan"),
                             content_type="multipart/form-data")
    assert changed.status_code == 422 and stored_events(ui) == before
    again = ui.client.post(OPEN, data=with_scan(sent, b"%PDF-1.4 scan"), content_type="multipart/form-data")
    assert again.headers["Location"] == first.headers["Location"] and stored_events(ui) == before


def test_a_copy_sent_while_the_first_was_still_running_opens_no_second_case(ui, monkeypatch):
    ui.login_as("intake")
    sent = desk_form_fields(ui)
    first = ui.client.post(OPEN, data=sent, content_type="multipart/form-data")
    before = stored_events(ui)
    # The copy looked in the ledger before the first committed: it runs, and its write collides with the first's.
    monkeypatch.setattr(ui.services.idempotency, "lookup", lambda user, key: None)
    again = ui.client.post(OPEN, data=sent, content_type="multipart/form-data")
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert stored_events(ui) == before


def test_the_same_key_with_other_fields_is_refused_and_opens_nothing(ui):
    ui.login_as("intake")
    sent = desk_form_fields(ui)
    opened_case(ui, ui.client.post(OPEN, data=sent, content_type="multipart/form-data"))
    before = stored_events(ui)
    changed = ui.client.post(OPEN, data={**sent, "applicant_name": "另一家公司"}, content_type="multipart/form-data")
    assert changed.status_code == 422 and 'name="applicant_name"' not in changed.get_data(as_text=True)
    assert stored_events(ui) == before


def test_a_form_without_a_key_still_opens_its_case(ui):
    ui.login_as("intake")
    sent = {key: value for key, value in desk_form_fields(ui).items() if key != "request_key"}
    case = opened_case(ui, ui.client.post(OPEN, data=sent, content_type="multipart/form-data"))
    assert case.applicant["name"] == "泉城小馆餐饮有限公司"


def test_a_first_sending_that_was_refused_leaves_the_key_free_for_the_corrected_form(ui):
    ui.login_as("intake")
    sent = desk_form_fields(ui)
    refused = ui.client.post(OPEN, data={**sent, "credit_code": "123"}, content_type="multipart/form-data")
    assert refused.status_code == 422
    opened_case(ui, ui.client.post(OPEN, data=sent, content_type="multipart/form-data"))


def test_every_rendered_form_carries_its_own_fresh_key(ui):
    ui.login_as("intake")
    keys = [form_on(ui.page(OPEN))["request_key"] for _ in range(2)]
    assert len(set(keys)) == 2 and all(len(key) >= 32 for key in keys)


def test_a_key_longer_than_the_ledger_keeps_is_refused(ui):
    ui.login_as("intake")
    before = stored_events(ui)
    response = ui.client.post(OPEN, data={**desk_form_fields(ui), "request_key": "k" * 129},
                              content_type="multipart/form-data")
    assert response.status_code == 400 and stored_events(ui) == before


@pytest.mark.parametrize("key", ["k\x00y", "键", "k y\n"])
def test_a_key_that_is_not_printable_ascii_is_refused(ui, key):
    ui.login_as("intake")
    before = stored_events(ui)
    response = ui.client.post(OPEN, data={**desk_form_fields(ui), "request_key": key},
                              content_type="multipart/form-data")
    assert response.status_code == 400 and stored_events(ui) == before


# The reviewer's item actions -------------------------------------------------------------------
def test_an_approval_sent_again_records_one_decision_and_answers_like_the_first(ui, accepted_case):
    ui.login_as("reviewer")
    page = ui.page(f"/cases/{accepted_case}")
    sent = {**form_on(page, "act-business-licence-approve"), "reason": "材料齐全，符合条件"}
    path = f"/cases/{accepted_case}/items/business-licence/approve"
    first = ui.client.post(path, data=sent)
    assert first.status_code == 303 and first.headers["Location"] == f"/cases/{accepted_case}"
    ui.page(f"/cases/{accepted_case}")  # the flash of the first answer is shown
    again = ui.client.post(path, data=sent)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    shown = ui.page(again.headers["Location"])
    assert "事项已审批通过。" in shown and "该事项已作出决定" not in shown and "办件已有变动" not in shown
    approvals = [e for e in events(ui, accepted_case) if e[0] == "ItemApproved"]
    assert approvals == [("ItemApproved", "amr", "材料齐全，符合条件")]


def test_an_approval_with_its_key_and_another_reason_is_refused(ui, accepted_case):
    ui.login_as("reviewer")
    sent = {**form_on(ui.page(f"/cases/{accepted_case}"), "act-business-licence-approve"), "reason": "符合条件"}
    path = f"/cases/{accepted_case}/items/business-licence/approve"
    assert ui.client.post(path, data=sent).status_code == 303
    version = ui.services.cases.reads.get_case(AUDITOR, accepted_case).version
    assert ui.client.post(path, data={**sent, "reason": "另一个理由"}).status_code == 422
    assert ui.services.cases.reads.get_case(AUDITOR, accepted_case).version == version


def test_a_transfer_sent_again_lands_on_the_queue_like_the_first(ui, accepted_case):
    ui.login_as("reviewer")
    sent = {**form_on(ui.page(f"/cases/{accepted_case}"), "act-business-licence-transfer"),
            "to_department": "psb", "reason": "属公安局职责"}
    path = f"/cases/{accepted_case}/items/business-licence/transfer"
    first = ui.client.post(path, data=sent)
    assert first.status_code == 303 and first.headers["Location"] == "/queue"
    version = ui.services.cases.reads.get_case(AUDITOR, accepted_case).version
    again = ui.client.post(path, data=sent)  # the reviewer may no longer see the case: still the first answer
    assert again.status_code == 303 and again.headers["Location"] == "/queue"
    assert ui.services.cases.reads.get_case(AUDITOR, accepted_case).version == version


def test_an_item_action_without_a_key_works_as_before(ui, accepted_case):
    ui.login_as("reviewer")
    sent = {**form_on(ui.page(f"/cases/{accepted_case}"), "act-business-licence-approve"), "reason": "符合条件"}
    del sent["request_key"]
    assert ui.client.post(f"/cases/{accepted_case}/items/business-licence/approve", data=sent).status_code == 303
    assert ui.services.cases.reads.get_case(AUDITOR, accepted_case).items["business-licence"].status == "approved"


# The supervisor's actions ----------------------------------------------------------------------
def test_an_urge_sent_again_is_recorded_once(ui, supervised_case_id):  # noqa: F811
    ui.login_as("supervisor")
    path = f"/supervision/cases/{supervised_case_id}/items/business-licence/urge"
    sent = {**form_on(ui.page(path + "?next=/supervision")), "reason": "请今天办结"}
    first = ui.client.post(path, data=sent)
    again = ui.client.post(path, data=sent)
    assert first.status_code == again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert case_of(ui, supervised_case_id).items["business-licence"].urges == 1

