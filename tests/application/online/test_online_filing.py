"""Online filing (网上办): an applicant files, intake pre-reviews (accept, or return once listing everything
missing), the law accepts what intake leaves unanswered for 5 working days, supplements are answered by upload,
and the applicant rates the closed case; a poor rating opens a follow-up a supervisor closes."""

from __future__ import annotations

import io
from datetime import date

import pytest
from freezegun import freeze_time

from application.common.errors import NotAllowed
from domain.shared.errors import CaseNotClosed, NoOpenFollowUp, NotInPreReview, NotYetAccepted, ReturnedOnce
from domain.shared.values import Actor, Role
from tests.conftest import AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE
from web.services import Services

OTHER_CODE = "91350100M000100Y43"  # another enterprise's valid code
REP = Actor("rep", Role.APPLICANT, enterprise=VALID_CODE)
OTHER = Actor("stranger", Role.APPLICANT, enterprise=OTHER_CODE)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NAMES = {VALID_CODE: "泉城小馆餐饮有限公司", OTHER_CODE: "闽都小吃有限公司"}


def pdf(text: str) -> io.BytesIO:
    return io.BytesIO(PDF + text.encode())


@pytest.fixture
def online(services: Services) -> Services:
    services.cases.online.enterprise_name = NAMES.get
    return services


def file_restaurant(services: Services, actor: Actor = REP) -> str:
    return str(services.cases.online.file(actor, "restaurant-opening").id)


def upload(services: Services, case_id: str, key: str, text: str, actor: Actor = REP) -> None:
    services.materials.upload(actor, case_id, key, pdf(text), f"{key}.pdf")


def test_an_applicant_files_for_its_own_enterprise_online_and_the_case_waits_in_pre_review(online):
    case = online.cases.reads.get_case(REP, file_restaurant(online))
    assert (case.status, case.channel, case.applicant["credit_code"]) == ("submitted", "online", VALID_CODE)
    assert case.applicant["name"] == "泉城小馆餐饮有限公司"
    assert all(item.status == "waiting" and item.due is None for item in case.items.values())
    with pytest.raises(NotYetAccepted):
        online.cases.review.accept_item(AMR, case.id, "business-licence")  # not before intake accepts
    online.runner.catch_up()
    row = online.online_queries.pre_review(INTAKE).rows[0]
    assert (row["number"], row["status"], row["waiting_days"]) == (case.number, "submitted", 0)


def test_staff_cannot_file_online_and_an_agent_files_only_its_bundles(online):
    with pytest.raises(NotAllowed):
        online.cases.online.file(INTAKE, "restaurant-opening")
    agent = Actor("agent", Role.APPLICANT, enterprise=VALID_CODE, bundles=("other-bundle",))
    with pytest.raises(NotAllowed):
        online.cases.online.file(agent, "restaurant-opening")


def test_intake_returns_once_listing_everything_missing_and_the_upload_brings_it_back(online):
    case_id = file_restaurant(online)
    upload(online, case_id, "id-card", "id")
    online.cases.intake.return_filing(INTAKE, case_id, ["floor-plan"], "平面图缺失，请上传")
    case = online.cases.reads.get_case(REP, case_id)
    assert case.status == "returned" and case.pre_review["missing"] == ["floor-plan"]
    assert case.pre_review["return_reason"] == "平面图缺失，请上传"
    with pytest.raises(NotInPreReview):  # intake waits for the applicant now
        online.cases.intake.accept_filing(INTAKE, case_id)
    upload(online, case_id, "floor-plan", "plan")
    assert online.cases.reads.get_case(REP, case_id).status == "submitted"
    with pytest.raises(ReturnedOnce):  # everything missing was told at once (一次性告知)
        online.cases.intake.return_filing(INTAKE, case_id, ["id-card"], "once more")
    online.cases.intake.accept_filing(INTAKE, case_id, "材料齐全")
    case = online.cases.reads.get_case(INTAKE, case_id)
    assert (case.status, case.owner) == ("open", "window1")
    assert case.pre_review["accepted_on"] is not None and case.pre_review["deemed"] is False


def test_returning_needs_known_materials_and_a_reason(online):
    case_id = file_restaurant(online)
    from domain.shared.errors import InvalidValue, ReasonRequired, UnknownMaterial
    with pytest.raises(UnknownMaterial):
        online.cases.intake.return_filing(INTAKE, case_id, ["no-such"], "x")
    with pytest.raises(InvalidValue):
        online.cases.intake.return_filing(INTAKE, case_id, [], "x")
    with pytest.raises(ReasonRequired):
        online.cases.intake.return_filing(INTAKE, case_id, ["floor-plan"], " ")
    assert online.cases.reads.get_case(INTAKE, case_id).status == "submitted"


def test_a_filing_unanswered_for_five_working_days_is_accepted_by_the_deadline_tick(online):
    with freeze_time("2026-12-04 10:00:00+08:00"):  # a Friday
        case_id = file_restaurant(online)
    with freeze_time("2026-12-11 10:00:00+08:00"):  # the fifth working day after: intake may still answer
        assert online.sla.tick().filings_accepted == 0
        assert online.cases.reads.get_case(INTAKE, case_id).status == "submitted"
        online.runner.catch_up()
        row = online.online_queries.pre_review(INTAKE).rows[0]
        assert (row["waiting_days"], row["deadline"]) == (5, date(2026, 12, 11))
    with freeze_time("2026-12-12 10:00:00+08:00"):  # a Saturday after the deadline: recorded on a working day
        assert online.sla.tick().filings_accepted == 0
    with freeze_time("2026-12-14 09:00:00+08:00"):  # the next working day: accepted by law
        report = online.sla.tick()
        assert report.filings_accepted == 1
        case = online.cases.reads.get_case(INTAKE, case_id)
        assert case.status == "open" and case.pre_review["deemed"] is True
        assert online.sla.tick().filings_accepted == 0  # recorded once
    history = online.cases.reads.history(AUDITOR, case_id)
    accepted = [e for e in history if e["type"] == "IntakeAccepted"]
    assert len(accepted) == 1 and "32" in accepted[0]["reason"] and accepted[0]["actor"]["user_id"] == "system:sla"


def test_a_returned_filing_waits_for_the_applicant_and_is_not_accepted_by_the_tick(online):
    with freeze_time("2026-12-01 10:00:00+08:00"):
        case_id = file_restaurant(online)
        online.cases.intake.return_filing(INTAKE, case_id, ["id-card"], "请上传身份证")
    with freeze_time("2026-12-21 10:00:00+08:00"):
        assert online.sla.tick().filings_accepted == 0
        assert online.cases.reads.get_case(INTAKE, case_id).status == "returned"


def test_another_enterprise_sees_and_touches_nothing_of_the_case(online):
    case_id = file_restaurant(online)
    with pytest.raises(NotAllowed):
        online.cases.reads.get_case(OTHER, case_id)
    with pytest.raises(NotAllowed):
        upload(online, case_id, "id-card", "x", actor=OTHER)
    with pytest.raises(NotAllowed):
        online.cases.intake.withdraw(OTHER, case_id, "not mine")
    online.runner.catch_up()
    assert online.online_queries.my_cases(OTHER).rows == []
    assert [row["id"] for row in online.online_queries.my_cases(REP).rows] == [case_id]


def test_an_applicant_sees_its_case_as_it_is_now_without_history_or_supervision(online):
    case_id = file_restaurant(online)
    online.cases.intake.accept_filing(INTAKE, case_id)
    online.cases.supervision.escalate(SUPERVISOR, case_id, "内部督办：进度慢")
    case = online.cases.reads.get_case(REP, case_id)
    assert case.escalations == () and case.owner == ""
    for read in (lambda: online.cases.reads.history(REP, case_id), lambda: online.cases.reads.get_case(REP, case_id, 1),
                 lambda: online.cases.reads.diff(REP, case_id, 1, 2)):
        with pytest.raises(NotAllowed):
            read()


def test_a_supplement_is_answered_by_uploading_what_was_asked(online):
    case_id = file_restaurant(online)
    upload(online, case_id, "id-card", "id")
    upload(online, case_id, "floor-plan", "plan")
    online.cases.intake.accept_filing(INTAKE, case_id)
    online.cases.review.accept_item(AMR, case_id, "business-licence")
    online.cases.review.request_supplement(AMR, case_id, "business-licence", "身份证模糊，请重新上传", ["id-card"])
    online.runner.catch_up()
    mine = online.online_queries.my_cases(REP).rows[0]
    item = next(i for i in mine["items"] if i["code"] == "business-licence")
    assert item["asked"] == ["id-card"] and item["status_words"]["zh"] == "请补正材料"
    with pytest.raises(NotAllowed):  # only what is asked, once intake accepted
        upload(online, case_id, "floor-plan", "plan 2")
    upload(online, case_id, "id-card", "id, sharper")
    case = online.cases.reads.get_case(REP, case_id)
    assert case.items["business-licence"].status == "in_review"
    assert case.materials["id-card"].files[-1].version == 2


def test_the_applicant_rates_the_closed_case_and_a_poor_rating_opens_a_follow_up(online):
    case_id = file_restaurant(online)
    with pytest.raises(CaseNotClosed):  # a case in pre-review is not closed: not rated yet
        online.cases.intake.rate(REP, case_id, 1)
    online.cases.intake.withdraw(REP, case_id, "不要撤回：还在预审")  # withdrawn before acceptance: not rated
    with pytest.raises(CaseNotClosed):
        online.cases.intake.rate(REP, case_id, 1)
    case_id = file_restaurant(online)
    online.cases.intake.accept_filing(INTAKE, case_id)
    online.cases.intake.withdraw(REP, case_id, "我们改期开业")
    with freeze_time("2026-12-07 10:00:00+08:00"):
        online.cases.intake.rate(REP, case_id, 2, "等太久")
    case = online.cases.reads.get_case(SUPERVISOR, case_id)
    assert case.rating["score"] == 2 and case.follow_up["due"] == "2026-12-28"
    assert online.cases.reads.get_case(REP, case_id).follow_up is None  # supervision's work, not shown
    with freeze_time("2026-12-29 10:00:00+08:00"):
        online.runner.catch_up()
        row = online.online_queries.follow_ups(SUPERVISOR).rows[0]
        assert (row["state"], row["overdue"]) == ("open", True)
    with pytest.raises(NotAllowed):
        online.cases.supervision.close_follow_up(REP, case_id, "电话回访", "done")
    online.cases.supervision.close_follow_up(SUPERVISOR, case_id, "电话回访，企业表示理解", "整改完成")
    online.runner.catch_up()
    assert online.online_queries.follow_ups(SUPERVISOR, "closed").rows[0]["state"] == "closed"
    with pytest.raises(NoOpenFollowUp):
        online.cases.supervision.close_follow_up(SUPERVISOR, case_id, "again", "again")


def test_a_good_rating_opens_no_follow_up_and_another_enterprise_cannot_rate(online):
    case_id = file_restaurant(online)
    online.cases.intake.accept_filing(INTAKE, case_id)
    online.cases.intake.withdraw(REP, case_id, "改期")
    with pytest.raises(NotAllowed):
        online.cases.intake.rate(OTHER, case_id, 5)
    online.cases.intake.rate(REP, case_id, 4)
    assert online.cases.reads.get_case(SUPERVISOR, case_id).follow_up is None


def test_an_applicant_reads_its_own_vault_only(online):
    online.materials.vault_of(REP, VALID_CODE)
    with pytest.raises(NotAllowed):
        online.materials.vault_of(REP, OTHER_CODE)


def test_an_applicant_files_petitions_about_its_own_cases_only(online):
    case_id = file_restaurant(online)
    number = online.cases.reads.get_case(REP, case_id).number
    saved = online.petitions.submit(REP, "泉城小馆餐饮有限公司", VALID_CODE, "预审太慢", "三天没有答复", "online",
                                    related_case=number)
    assert online.petitions.get_petition(REP, saved.number).subject == "预审太慢"
    with pytest.raises(NotAllowed):
        online.petitions.get_petition(OTHER, saved.number)
    with pytest.raises(NotAllowed):
        online.petitions.submit(OTHER, "闽都小吃有限公司", OTHER_CODE, "x", "y", "online", related_case=number)
    with pytest.raises(NotAllowed):
        online.petitions.submit(OTHER, "泉城小馆餐饮有限公司", VALID_CODE, "x", "y", "online")


# Agents authorised for some bundles, and what the review of issue 15 found --------------------------------------
AGENT_PASSWORD = "a-long-enough-passphrase-9"


@pytest.fixture
def registered(online: Services) -> Services:
    """The enterprise registered by ``boss``, with ``narrow``, an agent for another bundle only, both with e-mail."""
    from tests.conftest import ADMIN, sample_file
    online.catalogue.publish_file(sample_file("foreign-talent.json"), ADMIN)
    online.accounts.register_enterprise(VALID_CODE, "泉城小馆餐饮有限公司", "王老板", "boss", AGENT_PASSWORD,
                                        email="boss@example.com")
    boss = online.users.find_actor("boss")
    online.accounts.authorise_agent(boss, "narrow", AGENT_PASSWORD, ["foreign-talent"], date(2099, 12, 31),
                                    email="narrow@example.com")
    return online


def test_an_agent_is_told_only_of_the_cases_of_its_bundles(registered):
    told = {c.username for c in registered.accounts.enterprise_contacts(VALID_CODE, "restaurant-opening")}
    assert told == {"boss"}
    assert {c.username for c in registered.accounts.enterprise_contacts(VALID_CODE, "foreign-talent")} == {
        "boss", "narrow"}


def test_an_agent_for_some_bundles_has_no_vault_and_files_uploads_only(registered):
    narrow = registered.users.find_actor("narrow")
    with pytest.raises(NotAllowed):
        registered.materials.vault_of(narrow, VALID_CODE)
    assert registered.materials.vault_offers(narrow, VALID_CODE, {"id-card": {}}) == {"id-card": []}


def test_an_agent_for_some_bundles_sees_only_petitions_about_their_cases(registered):
    boss, narrow = registered.users.find_actor("boss"), registered.users.find_actor("narrow")
    number = registered.cases.reads.get_case(boss, file_restaurant(registered, boss)).number
    about = registered.petitions.submit(boss, "泉城小馆餐饮有限公司", VALID_CODE, "预审太慢", "三天没有答复", "online",
                                        related_case=number)
    with pytest.raises(NotAllowed):
        registered.petitions.get_petition(narrow, about.number)
    with pytest.raises(NotAllowed):
        registered.petitions.submit(narrow, "泉城小馆餐饮有限公司", VALID_CODE, "x", "y", "online", related_case=number)


def test_an_applicant_reads_its_petition_without_the_supervisors_escalations(online):
    saved = online.petitions.submit(REP, "泉城小馆餐饮有限公司", VALID_CODE, "停电", "园区停电", "online")
    online.petitions.route(SUPERVISOR, saved.number, "amr", 3)
    online.petitions.escalate(SUPERVISOR, saved.number, "内部：部门拖延")
    assert online.petitions.get_petition(SUPERVISOR, saved.number).escalations
    mine = online.petitions.get_petition(REP, saved.number)
    assert mine.escalations == () and mine.submitted_by == ""


def test_a_filing_accepted_by_law_has_no_first_contact_owner_until_one_is_assigned(online):
    with freeze_time("2026-12-01 10:00:00+08:00"):
        case_id = file_restaurant(online)
    assert online.cases.reads.get_case(INTAKE, case_id).owner == ""
    with freeze_time("2026-12-21 10:00:00+08:00"):
        online.sla.tick()
    assert online.cases.reads.get_case(INTAKE, case_id).owner == ""


def test_a_supplement_requested_before_requests_said_what_they_asked_takes_any_material_of_the_item(online):
    from application.materials.service import asked_before_v4
    case_id = file_restaurant(online)
    online.cases.intake.accept_filing(INTAKE, case_id)
    item = online.cases.load(case_id).items["business-licence"]
    item.requested = {}
    assert asked_before_v4(item, item.materials[0]) and not asked_before_v4(item, "no-such-material")


def test_a_supplement_request_naming_no_material_is_answered_by_a_new_version_of_any_of_the_items(online):
    case_id = file_restaurant(online)
    for key in ("id-card", "floor-plan"):
        upload(online, case_id, key, key)
    online.cases.intake.accept_filing(INTAKE, case_id)
    online.cases.review.accept_item(AMR, case_id, "business-licence")
    online.cases.review.request_supplement(AMR, case_id, "business-licence", "请补充说明材料")
    asked = online.cases.reads.get_case(REP, case_id).items["business-licence"]
    assert asked.request_any and set(asked.requested) == set(asked.materials)
    upload(online, case_id, asked.materials[0], "a newer one")
    assert online.cases.reads.get_case(REP, case_id).items["business-licence"].status == "in_review"
