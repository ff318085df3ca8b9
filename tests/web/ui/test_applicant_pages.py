"""The applicant's pages: file online with uploads and prefilled answers, follow the case in plain words, answer a
return by upload, rate; intake's pre-review page and its accept/return forms; another enterprise sees nothing."""

from __future__ import annotations

import io

from domain.shared.values import Actor, Role
from tests.web.ui.conftest import make_ui

CODE = "91110000600037341L"
OTHER_CODE = "91350100M000100Y43"
PASSWORD = "a-long-enough-passphrase-9"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
INTAKE = Actor("intake", Role.INTAKE)


def register(ui, username: str, code: str = CODE, name: str = "泉城小馆餐饮有限公司") -> None:
    response = ui.post("/apply/register", {"credit_code": code, "enterprise_name": name,
                                           "representative_name": "王老板", "username": username,
                                           "password": PASSWORD, "confirm_password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def pdf(text: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(PDF + text.encode()), f"{text}.pdf"


def file_online(ui) -> str:
    response = ui.post("/me/file/restaurant-opening", {"file-id-card": pdf("id"), "file-floor-plan": pdf("plan")},
                       content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def test_an_applicant_files_online_with_uploads_and_sees_its_case_waiting_for_pre_review(ui):
    register(ui, "boss")
    assert "restaurant-opening" in ui.page("/me/file")
    case_id = file_online(ui)
    page = ui.page(f"/me/cases/{case_id}")
    assert "Waiting for intake" in page or "等待" in page
    case = ui.services.cases.reads.get_case(INTAKE, case_id)
    assert case.status == "submitted" and set(case.materials) == {"id-card", "floor-plan"}
    ui.services.runner.catch_up()
    home = ui.page("/me")
    assert case.number in home


def test_a_returned_filing_lists_what_is_missing_and_an_upload_sends_it_back_to_pre_review(ui):
    register(ui, "boss")
    case_id = file_online(ui)
    ui.services.cases.intake.return_filing(INTAKE, case_id, ["id-card"], "身份证不清晰，请重新上传")
    page = ui.page(f"/me/cases/{case_id}")
    assert "身份证不清晰" in page and 'id="missing-id-card"' in page
    response = ui.post(f"/me/cases/{case_id}/materials/id-card", {"file": pdf("id-sharper")},
                       content_type="multipart/form-data")
    assert response.status_code == 303
    assert ui.services.cases.reads.get_case(INTAKE, case_id).status == "submitted"


def test_intake_sees_online_filings_and_accepts_or_returns_them_from_the_case_page(ui):
    register(ui, "boss")
    first, second = file_online(ui), file_online(ui)
    ui.services.runner.catch_up()
    officer = make_ui(ui.services)
    officer.login_as("intake")
    queue = officer.page("/desk/pre-review")
    numbers = [ui.services.cases.reads.get_case(INTAKE, c).number for c in (first, second)]
    assert all(number in queue for number in numbers)
    assert 'id="pre-review"' in officer.page(f"/cases/{first}")
    assert officer.post(f"/desk/cases/{first}/accept-filing", {}).status_code == 303
    assert ui.services.cases.reads.get_case(INTAKE, first).status == "open"
    refused = officer.post(f"/desk/cases/{second}/return-filing", {"reason": "缺材料"})
    assert refused.status_code == 422  # nothing ticked: the applicant must be told everything at once
    assert officer.post(f"/desk/cases/{second}/return-filing",
                        {"missing": "floor-plan", "reason": "平面图缺失"}).status_code == 303
    assert ui.services.cases.reads.get_case(INTAKE, second).status == "returned"


def test_another_enterprise_gets_a_403_page_for_the_case_and_nothing_on_its_home(ui):
    register(ui, "boss")
    case_id = file_online(ui)
    other = make_ui(ui.services)
    register(other, "stranger", OTHER_CODE, "闽都小吃有限公司")
    assert other.client.get(f"/me/cases/{case_id}").status_code == 403
    number = ui.services.cases.reads.get_case(INTAKE, case_id).number
    ui.services.runner.catch_up()
    assert number not in other.page("/me")
    for path, form in ((f"/me/cases/{case_id}/rating", {"score": "1"}),
                       (f"/me/cases/{case_id}/withdraw", {"reason": "x"}),
                       (f"/me/cases/{case_id}/petition", {"subject": "x", "text": "y"})):
        assert other.post(path, form).status_code == 403
    assert ui.services.cases.reads.get_case(INTAKE, case_id).status == "submitted"


def test_the_applicant_withdraws_and_rates_its_closed_case_and_a_poor_rating_reaches_supervisors(ui):
    register(ui, "boss")
    case_id = file_online(ui)
    ui.services.cases.intake.accept_filing(INTAKE, case_id)
    assert ui.post(f"/me/cases/{case_id}/withdraw", {"reason": "改期开业"}).status_code == 303
    assert 'name="score"' in ui.page(f"/me/cases/{case_id}")
    assert ui.post(f"/me/cases/{case_id}/rating", {"score": "2", "comment": "太慢"}).status_code == 303
    ui.services.runner.catch_up()
    supervisor = make_ui(ui.services)
    supervisor.login_as("supervisor")
    number = ui.services.cases.reads.get_case(INTAKE, case_id).number
    assert number in supervisor.page("/supervision/follow-ups")
    closed = supervisor.post(f"/supervision/follow-ups/{case_id}/close",
                             {"return_visit": "电话回访，企业表示理解", "reason": "整改完成"})
    assert closed.status_code == 303
    assert ui.services.cases.reads.get_case(Actor("s", Role.SUPERVISOR), case_id).follow_up["closed_at"]


def test_the_filing_form_prefills_the_answers_of_the_enterprises_last_filing(ui):
    register(ui, "boss")
    boss = ui.services.users.find_actor("boss")
    from tests.conftest import ADMIN, sample_file
    ui.services.catalogue.publish_file(sample_file("foreign-talent.json"), ADMIN)
    definition, _ = ui.services.catalogue.definition("foreign-talent")
    question = definition.questions[0]
    answers = {q.key: (q.choices[0] if q.type == "choice" else 1 if q.type == "number" else True
                       if q.type == "boolean" else "2030-01-01" if q.type == "date" else "x")
               for q in definition.questions}
    ui.services.cases.online.file(boss, "foreign-talent", answers)
    ui.services.runner.catch_up()
    page = ui.page("/me/file/foreign-talent")
    expected = answers[question.key]
    shown = ("yes" if expected else "no") if question.type == "boolean" else str(expected)
    assert f'value="{shown}"' in page and ("selected" in page or question.type not in ("choice", "boolean"))


def test_a_staff_form_sent_by_an_applicant_is_refused_on_its_own_case_page(ui):
    register(ui, "boss")
    case_id = file_online(ui)
    response = ui.post(f"/cases/{case_id}/items/business-licence/accept", {"version": "3"})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "/me/cases/" in page and "chain" not in page.lower() and 'id="pre-review"' not in page


def test_uploading_the_same_file_again_says_nothing_new_was_recorded(ui):
    register(ui, "boss")
    case_id = file_online(ui)
    ui.services.cases.intake.return_filing(INTAKE, case_id, ["id-card"], "请重新上传")
    response = ui.post(f"/me/cases/{case_id}/materials/id-card", {"file": pdf("id")},
                       content_type="multipart/form-data")  # the very bytes filed before
    assert response.status_code == 303
    page = ui.page(f"/me/cases/{case_id}")
    assert "flash-warning" in page and ui.services.cases.reads.get_case(INTAKE, case_id).status == "returned"


def test_a_filing_withdrawn_before_acceptance_offers_no_rating(ui):
    register(ui, "boss")
    case_id = file_online(ui)
    assert ui.post(f"/me/cases/{case_id}/withdraw", {"reason": "改期开业"}).status_code == 303
    page = ui.page(f"/me/cases/{case_id}")
    assert 'name="score"' not in page and "/withdraw" not in page
