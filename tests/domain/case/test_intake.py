"""Single-window intake: opening a case, submitting materials, accepting with deficiency."""

from datetime import timedelta

import pytest

from domain.case.aggregate import Case
from domain.shared.errors import DeficiencyNotAllowed, InvalidValue, UnknownMaterial
from domain.shared.values import Applicant, CaseStatus, Channel, ItemStatus
from tests.conftest import FOOD, INTAKE, VALID_CODE, restaurant_bundle, weekdays
from tests.domain.case.cases import (
    APPLICANT,
    DIGEST,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    open_case,
    refused,
    submit,
)

DUE = MONDAY + timedelta(days=14)


class TestOpen:
    def test_the_opener_becomes_the_owner(self):
        assert open_case().owner == INTAKE.user_id

    def test_every_item_of_the_bundle_waits(self):
        case = open_case()
        assert list(case.items) == [LICENCE, FOOD_PERMIT]
        assert {i.status for i in case.items.values()} == {ItemStatus.WAITING}
        assert case.status == CaseStatus.OPEN
        assert case.due is None

    def test_the_case_keeps_the_bundle_version_applicant_and_channel(self):
        case = open_case()
        assert (case.bundle, case.bundle_version) == ("restaurant-opening", 1)
        assert case.applicant == {"name": "某某餐饮有限公司", "credit_code": VALID_CODE}
        assert case.channel == "window"
        assert case.opened_on == MONDAY

    def test_items_carry_their_rules_from_the_definition(self):
        permit = open_case().items[FOOD_PERMIT]
        assert permit.department == "amr-food"
        assert permit.prerequisites == [LICENCE]
        assert permit.inspection == "video"
        assert permit.commitment_allowed is True

    def test_opening_records_who_opened_it(self):
        [event] = open_case().collect_events()
        assert isinstance(event, Case.Opened)
        assert (event.actor, event.reason, event.number) == (INTAKE, "", "N-1")

    def test_the_case_id_follows_from_its_number(self):
        assert open_case(number="N-7").id == open_case(number="N-7").id
        assert open_case(number="N-7").id != open_case(number="N-8").id

    @pytest.mark.parametrize("name", ["", "   "])
    def test_an_applicant_without_a_name_is_refused(self, name):
        with pytest.raises(InvalidValue):
            Case.open(
                number="N-1", bundle=restaurant_bundle(), bundle_version=1,
                applicant=Applicant(name, VALID_CODE), channel=Channel.ONLINE,
                opened_on=MONDAY, actor=INTAKE,
            )

    def test_an_agent_channel_is_recorded(self):
        case = Case.open(
            number="N-1", bundle=restaurant_bundle(), bundle_version=2, applicant=APPLICANT,
            channel=Channel.POSTAL_AGENT, opened_on=MONDAY, actor=INTAKE,
        )
        assert (case.channel, case.bundle_version) == ("postal-agent", 2)


class TestSubmitMaterial:
    def test_the_material_is_recorded_with_its_file_and_submitter(self):
        case = open_case()
        case.collect_events()
        case.submit_material("id-card", "身份证.pdf", DIGEST, INTAKE, "窗口收件")
        assert case.materials["id-card"]["filename"] == "身份证.pdf"
        assert case.materials["id-card"]["sha256"] == DIGEST
        assert case.materials["id-card"]["by"] == INTAKE.user_id
        [event] = case.collect_events()
        assert isinstance(event, Case.MaterialSubmitted)
        assert (event.key, event.actor, event.reason) == ("id-card", INTAKE, "窗口收件")

    def test_the_digest_is_kept_in_lower_case(self):
        case = open_case()
        case.submit_material("id-card", "id.pdf", "AB" * 32, INTAKE)
        assert case.materials["id-card"]["sha256"] == "ab" * 32

    def test_a_material_submitted_again_replaces_the_earlier_file(self):
        case = open_case()
        submit(case, "id-card")
        case.submit_material("id-card", "id-v2.pdf", "cd" * 32, INTAKE)
        assert case.materials["id-card"]["filename"] == "id-v2.pdf"

    def test_one_submission_serves_every_item_that_needs_it(self):
        case = open_case()
        submit(case, "id-card", "floor-plan")
        case.accept_item(LICENCE, MONDAY, weekdays, INTAKE)
        case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
        assert {i.status for i in case.items.values()} == {ItemStatus.IN_REVIEW}

    def test_an_undeclared_material_is_refused(self):
        case = open_case()
        with refused(case, UnknownMaterial):
            case.submit_material("passport", "p.pdf", DIGEST, INTAKE)

    @pytest.mark.parametrize("digest", ["ab" * 31, "ab" * 33, "g" * 64, "", "ab" * 31 + "a "])
    def test_a_malformed_sha256_is_refused(self, digest):
        case = open_case()
        with refused(case, InvalidValue):
            case.submit_material("id-card", "id.pdf", digest, INTAKE)

    def test_a_sha256_with_a_trailing_newline_is_refused(self):
        # The digest is stored as given: a trailing newline would never match the file's hash.
        case = open_case()
        with refused(case, InvalidValue):
            case.submit_material("id-card", "id.pdf", DIGEST + "\n", INTAKE)

    @pytest.mark.parametrize("filename", ["", "   "])
    def test_an_empty_file_name_is_refused(self, filename):
        case = open_case()
        with refused(case, InvalidValue):
            case.submit_material("id-card", filename, DIGEST, INTAKE)

    def test_submitting_an_excused_material_settles_its_deficiency(self):
        case = open_case()
        case.accept_with_deficiency(["floor-plan"], DUE, MONDAY, INTAKE)
        submit(case, "floor-plan")
        assert case.deficiencies == {}


class TestAcceptWithDeficiency:
    def test_the_missing_material_is_excused_until_its_due_date(self):
        case = open_case()
        case.collect_events()
        case.accept_with_deficiency(["floor-plan"], DUE, MONDAY, INTAKE, "平面图后补")
        assert case.deficiencies == {"floor-plan": DUE}
        [event] = case.collect_events()
        assert isinstance(event, Case.AcceptedWithDeficiency)
        assert (event.missing, event.supplement_due) == (["floor-plan"], DUE)
        assert (event.actor, event.reason) == (INTAKE, "平面图后补")

    def test_an_excused_material_lets_the_item_be_accepted(self):
        case = open_case()
        submit(case, "id-card")
        case.accept_with_deficiency(["floor-plan"], DUE, MONDAY, INTAKE)
        case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
        assert case.items[FOOD_PERMIT].status == ItemStatus.IN_REVIEW

    def test_an_essential_material_cannot_be_supplied_later(self):
        case = open_case()
        with refused(case, DeficiencyNotAllowed):
            case.accept_with_deficiency(["id-card"], DUE, MONDAY, INTAKE)

    def test_one_essential_material_spoils_the_whole_list(self):
        case = open_case()
        with refused(case, DeficiencyNotAllowed):
            case.accept_with_deficiency(["floor-plan", "id-card"], DUE, MONDAY, INTAKE)
        assert case.deficiencies == {}

    def test_an_undeclared_material_is_refused(self):
        case = open_case()
        with refused(case, UnknownMaterial):
            case.accept_with_deficiency(["passport"], DUE, MONDAY, INTAKE)

    def test_a_material_already_submitted_is_not_missing(self):
        case = open_case()
        submit(case, "floor-plan")
        with refused(case, InvalidValue):
            case.accept_with_deficiency(["floor-plan"], DUE, MONDAY, INTAKE)

    @pytest.mark.parametrize("due", [MONDAY, MONDAY - timedelta(days=1)])
    def test_the_supplement_must_be_due_after_today(self, due):
        case = open_case()
        with refused(case, InvalidValue):
            case.accept_with_deficiency(["floor-plan"], due, MONDAY, INTAKE)

    def test_an_empty_list_is_refused(self):
        case = open_case()
        with refused(case, InvalidValue):
            case.accept_with_deficiency([], DUE, MONDAY, INTAKE)
