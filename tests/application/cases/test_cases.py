"""Case commands through the application: input checks, pinned versions, dates, results."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from application.common.errors import BundleNotFound, CaseNotFound, InvalidInput
from domain.shared.errors import PrerequisiteNotMet, UnknownItem
from tests.application.helpers import complete_restaurant, event_count, open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, FOOD, INTAKE, VALID_CODE, restaurant_file


class TestOpenCase:
    def test_the_opener_becomes_the_first_contact_owner(self, services):
        case = services.cases.load(open_restaurant(services))
        assert case.owner == INTAKE.user_id
        assert case.status == "open" and case.bundle_version == 1
        assert set(case.items) == {"business-licence", "food-permit"}

    @pytest.mark.parametrize("code", ["91110000600037341A", "12345", "", "9111000060003734IL"])
    def test_a_bad_credit_code_is_refused_and_nothing_is_recorded(self, services, code):
        with pytest.raises(InvalidInput) as error:
            services.cases.intake.open_case(INTAKE, "restaurant-opening", "某公司", code, "window")
        assert "applicant.credit_code" in error.value.fields
        assert services.cases.recorder.max_notification_id() is None

    def test_a_credit_code_with_spaces_and_lower_case_is_normalised(self, services):
        saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "某公司", "9111 0000 6000 37341l",
                                                "window")
        assert services.cases.load(saved.id).applicant["credit_code"] == "91110000600037341L"

    def test_an_unknown_bundle_is_refused(self, services):
        with pytest.raises(BundleNotFound):
            services.cases.intake.open_case(INTAKE, "no-such-bundle", "某公司", "91110000600037341L", "window")
        assert services.cases.recorder.max_notification_id() is None

    def test_an_unknown_channel_is_refused(self, services):
        with pytest.raises(InvalidInput, match="channel"):
            services.cases.intake.open_case(INTAKE, "restaurant-opening", "某公司", "91110000600037341L", "fax")

    def test_a_case_keeps_the_bundle_version_it_was_opened_on(self, services):
        old = open_restaurant(services)
        changed = restaurant_file()
        changed["bundles"][0]["items"][0]["time_limit_days"] = 3
        assert services.catalogue.publish_file(changed, ADMIN).published == {"restaurant-opening": 2}
        new = open_restaurant(services)
        assert services.cases.load(old).bundle_version == 1
        assert services.cases.load(old).items["business-licence"].time_limit_days == 1
        assert services.cases.load(new).bundle_version == 2
        assert services.cases.load(new).items["business-licence"].time_limit_days == 3

    @freeze_time("2026-11-20 10:00:00+08:00")
    def test_case_numbers_carry_the_date_and_are_unique(self, services):
        numbers = {services.cases.load(open_restaurant(services)).number for _ in range(20)}
        assert len(numbers) == 20
        assert all(n.startswith("YJS20261120-") for n in numbers)


class TestReview:
    @freeze_time("2026-09-30 10:00:00+08:00")
    def test_due_dates_skip_the_national_day_holiday(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
        # 5 working days after Wed 30 Sep 2026: 1-7 Oct are holidays; Thu 8, Fri 9, the adjusted
        # working Saturday 10 (调休), Mon 12 and Tue 13 Oct count.
        case = services.cases.load(case_id)
        assert case.items["food-permit"].due == date(2026, 10, 13)
        assert case.items["food-permit"].accepted_on == date(2026, 9, 30)

    def test_the_supplement_pause_moves_the_due_date(self, services):
        with freeze_time("2026-11-16 09:00:00+08:00"):  # Monday
            case_id = open_restaurant(services)
            submit_all(services, case_id)
            services.cases.review.accept_item(FOOD, case_id, "food-permit")
            services.cases.review.request_supplement(FOOD, case_id, "food-permit", "平面图不清晰", ["floor-plan"])
        assert services.cases.load(case_id).items["food-permit"].due == date(2026, 11, 23)
        with freeze_time("2026-11-18 09:00:00+08:00"):  # two working days later
            services.cases.review.receive_supplement(FOOD, case_id, "food-permit")
        assert services.cases.load(case_id).items["food-permit"].due == date(2026, 11, 25)

    def test_a_refused_approval_leaves_no_event(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
        before = event_count(services, case_id)
        with pytest.raises(PrerequisiteNotMet):
            services.cases.review.approve_on_commitment(FOOD, case_id, "food-permit", "我承诺")
        assert event_count(services, case_id) == before

    def test_a_completed_case_releases_every_certificate_together(self, services):
        case_id = open_restaurant(services)
        complete_restaurant(services, case_id)
        case = services.cases.load(case_id)
        assert case.status == "completed"
        statuses = [c["status"] for i in case.items.values() for c in i.certificates]
        assert statuses == ["valid", "valid"]

    def test_approval_issues_the_certificates_dated_the_day_of_approval(self, services):
        with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
            case_id = open_restaurant(services)
            submit_all(services, case_id)
            services.cases.review.accept_item(AMR, case_id, "business-licence")
            services.cases.review.approve_item(AMR, case_id, "business-licence")
        [certificate] = services.cases.load(case_id).items["business-licence"].certificates
        assert (certificate["status"], certificate["issued_on"], certificate["valid_from"],
                certificate["valid_to"]) == ("held", "2026-03-02", "2026-03-02", None)

    def test_a_material_excused_at_intake_issues_the_waiting_certificate_when_it_arrives(self, services):
        with freeze_time("2026-03-02 09:00:00+08:00") as clock:  # Monday
            case_id = open_restaurant(services)
            services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id-card.pdf", "ab" * 32)
            services.cases.intake.accept_with_deficiency(INTAKE, case_id, ["floor-plan"], date(2026, 3, 16))
            services.cases.review.accept_item(AMR, case_id, "business-licence")
            services.cases.review.approve_item(AMR, case_id, "business-licence")
            services.cases.review.accept_item(FOOD, case_id, "food-permit")
            services.cases.review.record_inspection(FOOD, case_id, "food-permit", "video", True)
            services.cases.review.approve_item(FOOD, case_id, "food-permit")
            case = services.cases.load(case_id)
            assert (case.status, case.items["food-permit"].certificates) == ("open", [])
            clock.move_to("2026-03-04 10:00:00+08:00")
            services.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "floor-plan.pdf", "cd" * 32)
        case = services.cases.load(case_id)
        assert case.status == "completed"
        [certificate] = case.items["food-permit"].certificates
        assert (certificate["status"], certificate["issued_on"]) == ("valid", "2026-03-04")

    def test_every_event_records_who_and_why(self, services):
        case_id = open_restaurant(services, reason="walk-in applicant")
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence", reason="materials complete")
        events = list(services.cases.events.get(case_id))
        assert events[0].actor == INTAKE and events[0].reason == "walk-in applicant"
        assert events[-1].actor == AMR and events[-1].reason == "materials complete"
        assert all(e.timestamp.tzinfo is not None for e in events)

    def test_an_unknown_item_is_refused_and_leaves_no_event(self, services):
        case_id = open_restaurant(services)
        with pytest.raises(UnknownItem):
            services.cases.review.accept_item(AMR, case_id, "liquor-licence")
        assert event_count(services, case_id) == 1

    def test_an_unknown_case_id_is_not_found(self, services):
        with pytest.raises(CaseNotFound):
            services.cases.review.accept_item(AMR, "not-a-uuid", "business-licence")
        with pytest.raises(CaseNotFound):
            services.cases.review.accept_item(AMR, "00000000-0000-0000-0000-000000000000", "business-licence")

    def test_a_past_version_of_a_case_can_be_read(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        assert services.cases.reads.get_case(INTAKE, case_id, version=1).materials == {}
        assert set(services.cases.reads.get_case(INTAKE, case_id).materials) == {"id-card", "floor-plan"}


def test_opening_with_materials_records_all_in_one_save_or_nothing(services):
    from application.cases.intake import MaterialReceived
    from domain.shared.errors import DomainError

    received = [MaterialReceived("id-card", "id.pdf", "ab" * 32),
                MaterialReceived("no-such-material", "x.pdf", "ab" * 32)]  # refused: nothing at all is saved

    before = services.runner.total_events()
    with pytest.raises(DomainError):
        services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆", VALID_CODE, "window",
                                        materials=received)
    assert services.runner.total_events() == before
    saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆", VALID_CODE, "window",
                                            materials=[MaterialReceived("id-card", "id.pdf", "ab" * 32)])
    assert (saved.version, services.runner.total_events()) == (2, before + 2)


def test_opening_with_an_excused_material_records_the_deficiency_in_the_same_save(services):
    from application.cases.intake import Deficiency, MaterialReceived, paper_digest

    before = services.runner.total_events()
    saved = services.cases.intake.open_case(
        INTAKE, "restaurant-opening", "泉城小馆", VALID_CODE, "window", "the floor plan follows",
        materials=[MaterialReceived("id-card", "id.pdf")], deficiency=Deficiency(("floor-plan",), date(2099, 1, 1)))
    assert (saved.version, services.runner.total_events()) == (3, before + 3)
    case = services.cases.load(str(saved.id))
    assert case.deficiencies == {"floor-plan": date(2099, 1, 1)}
    assert case.materials["id-card"]["sha256"] == paper_digest(saved.number, "id.pdf")  # a paper without a scan
