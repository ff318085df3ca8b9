"""Read models through the real commands: the escalations board, the audit log, the certificate register.

Cases are driven with ``services.cases.*`` and read with ``services.queries.*`` on SQLite and
PostgreSQL; time is frozen wherever ages or time ranges matter.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from application.common.errors import NotAllowed, NotFound
from domain.shared.values import Actor, Role
from tests.application.helpers import complete_restaurant, publish_issued_later, submit_all
from tests.conftest import ADMIN, AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHIEF = Actor("chief", Role.SUPERVISOR)


def at(text: str) -> datetime:
    """A moment in Shanghai, e.g. ``at("2026-11-16 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def open_case(services, number: str):
    return services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆餐饮有限公司", VALID_CODE,
                                    "window", number=number)


# Escalations board ------------------------------------------------------------------------------

@pytest.fixture
def escalated(any_services):
    """P escalated (level 2) Mon 16 09:00 and resolved by another supervisor Thu 19 15:00;
    Q escalated (level 1) Wed 18 09:00 and still open."""
    services = any_services
    with freeze_time("2026-11-16 09:00:00+08:00") as clock:
        p = open_case(services, "YJS20261116-PPPPPP").id
        q = open_case(services, "YJS20261116-QQQQQQ").id
        services.cases.supervision.escalate(SUPERVISOR, p, "licence overdue", level=2)
        clock.move_to("2026-11-18 09:00:00+08:00")
        services.cases.supervision.escalate(SUPERVISOR, q, "no answer from food licensing", level=1)
        clock.move_to("2026-11-19 15:00:00+08:00")
        services.cases.supervision.resolve_escalation(CHIEF, p, 1, "licence approved")
    services.runner.catch_up()
    return services


def board_rows(rows):
    keys = ("case_number", "number", "bundle", "level", "reason", "supervisor", "state", "resolved_by",
            "resolution", "age_days")
    return [{k: r[k] for k in keys} for r in rows]


OPEN_Q = {"case_number": "YJS20261116-QQQQQQ", "number": 1, "bundle": "restaurant-opening", "level": 1,
          "reason": "no answer from food licensing", "supervisor": "boss", "state": "open",
          "resolved_by": None, "resolution": None}
CLOSED_P = {"case_number": "YJS20261116-PPPPPP", "number": 1, "bundle": "restaurant-opening", "level": 2,
            "reason": "licence overdue", "supervisor": "boss", "state": "closed", "resolved_by": "chief",
            "resolution": "licence approved", "age_days": 3}


class TestEscalationsBoard:
    @freeze_time("2026-11-20 10:00:00+08:00")
    def test_the_board_lists_open_escalations_first_then_closed_ones_with_who_handles_them(self, escalated):
        rows = escalated.queries.escalation_board(SUPERVISOR)
        assert board_rows(rows) == [{**OPEN_Q, "age_days": 2}, CLOSED_P]

    def test_an_open_escalation_ages_with_the_clock_and_a_closed_one_keeps_its_age(self, escalated):
        with freeze_time("2026-11-23 08:59:00+08:00"):  # 4 days 23 h 59 min after Wed 09:00
            ages = [r["age_days"] for r in escalated.queries.escalation_board(AUDITOR)]
        assert ages == [4, 3]
        with freeze_time("2026-11-23 09:00:00+08:00"):
            ages = [r["age_days"] for r in escalated.queries.escalation_board(AUDITOR)]
        assert ages == [5, 3]

    @freeze_time("2026-11-20 10:00:00+08:00")
    def test_the_state_filter_keeps_open_or_closed_escalations(self, escalated):
        assert board_rows(escalated.queries.escalation_board(SUPERVISOR, state="open")) == [{**OPEN_Q, "age_days": 2}]
        assert board_rows(escalated.queries.escalation_board(AUDITOR, state="closed")) == [CLOSED_P]

    def test_a_resolution_after_the_case_closed_closes_the_escalation_on_the_board(self, escalated):
        q = escalated.queries.case_list(INTAKE, number="YJS20261116-QQQQQQ").rows[0]["case_id"]
        with freeze_time("2026-11-20 10:00:00+08:00"):
            complete_restaurant(escalated, q)
            saved = escalated.cases.supervision.resolve_escalation(SUPERVISOR, q, 1, "case completed")
            rows = escalated.queries.escalation_board(SUPERVISOR, after=saved)
        assert [(r["case_number"], r["state"], r["resolution"], r["age_days"]) for r in rows] == [
            ("YJS20261116-PPPPPP", "closed", "licence approved", 3),
            ("YJS20261116-QQQQQQ", "closed", "case completed", 2)]

    @pytest.mark.parametrize("actor", [INTAKE, AMR, ADMIN], ids=str)
    def test_only_supervisors_and_auditors_see_the_board(self, escalated, actor):
        with pytest.raises(NotAllowed):
            escalated.queries.escalation_board(actor)


# Audit log --------------------------------------------------------------------------------------

@pytest.fixture
def audited(any_services):
    """Case A: opened with its materials Mon 09:00, licence handled by AMR Mon 10:00 and the food
    permit by FOOD Tue 09:00 (11 events); case B: opened Mon 09:00 (1 event)."""
    services = any_services
    with freeze_time("2026-11-16 09:00:00+08:00") as clock:
        a = open_case(services, "YJS20261116-AAAAAA").id
        services.cases.intake.open_case(INTAKE, "restaurant-opening", "明湖茶餐厅有限公司", VALID_CODE, "online",
                                 number="YJS20261116-BBBBBB", reason="filed online")
        submit_all(services, a)
        clock.move_to("2026-11-16 10:00:00+08:00")
        services.cases.review.accept_item(AMR, a, "business-licence")
        services.cases.review.approve_item(AMR, a, "business-licence", reason="checked")  # issues, held
        clock.move_to("2026-11-17 09:00:00+08:00")
        services.cases.review.accept_item(FOOD, a, "food-permit")
        services.cases.review.record_inspection(FOOD, a, "food-permit", "video", True)
        services.cases.review.approve_item(FOOD, a, "food-permit")  # issues, and completes the case
    services.runner.catch_up()
    return services, str(a)


CASE_A_TYPES = ["Opened", "MaterialSubmitted", "MaterialSubmitted", "ItemAccepted", "ItemApproved",
                "CertificatesIssued", "ItemClockStarted", "ItemAccepted", "InspectionRecorded", "ItemApproved",
                "CertificatesIssued", "Completed"]


def positions(page):
    return [r["position"] for r in page.rows]


class TestAuditLog:
    def test_every_event_of_a_case_is_one_row_positioned_by_its_version(self, audited):
        services, a = audited
        page = services.queries.audit_log(AUDITOR, case_id=a)
        rows = sorted(page.rows, key=lambda r: r["position"])
        assert page.total == 12
        assert [r["position"] for r in rows] == list(range(1, 13))
        assert [r["type"] for r in rows] == CASE_A_TYPES
        assert {r["originator_id"] for r in rows} == {a} and {r["aggregate"] for r in rows} == {"Case"}

    def test_a_row_records_who_acted_in_which_role_and_department_and_why(self, audited):
        services, a = audited
        rows = {r["position"]: r for r in services.queries.audit_log(AUDITOR, case_id=a).rows}
        fields = ("type", "actor_id", "actor_role", "actor_department", "reason", "case_number")
        assert {k: rows[1][k] for k in fields} == {
            "type": "Opened", "actor_id": "window1", "actor_role": "intake", "actor_department": None,
            "reason": "", "case_number": "YJS20261116-AAAAAA"}
        assert {k: rows[5][k] for k in fields} == {
            "type": "ItemApproved", "actor_id": "li-amr", "actor_role": "reviewer", "actor_department": "amr",
            "reason": "checked", "case_number": None}
        assert {k: rows[12][k] for k in fields} == {
            "type": "Completed", "actor_id": "zhang-food", "actor_role": "reviewer",
            "actor_department": "amr-food", "reason": "every item is decided", "case_number": None}

    def test_the_log_is_newest_first(self, audited):
        services, a = audited
        assert positions(services.queries.audit_log(AUDITOR, case_id=a)) == list(range(12, 0, -1))

    def test_the_actor_filter_keeps_that_users_events(self, audited):
        services, a = audited
        page = services.queries.audit_log(AUDITOR, actor="li-amr")
        assert (page.total, positions(page)) == (4, [7, 6, 5, 4])
        assert {(r["originator_id"], r["actor_id"]) for r in page.rows} == {(a, "li-amr")}

    def test_the_department_filter_keeps_events_by_that_departments_staff(self, audited):
        services, _ = audited
        page = services.queries.audit_log(ADMIN, department="amr-food")
        assert [r["type"] for r in page.rows] == CASE_A_TYPES[:6:-1]
        assert {r["actor_department"] for r in page.rows} == {"amr-food"}

    def test_the_case_filter_keeps_one_cases_events(self, audited):
        services, _ = audited
        b = services.queries.case_list(INTAKE, number="YJS20261116-BBBBBB").rows[0]["case_id"]
        (row,) = services.queries.audit_log(AUDITOR, case_id=b).rows
        assert (row["position"], row["type"], row["reason"]) == (1, "Opened", "filed online")

    def test_the_case_filter_accepts_the_case_id_a_command_returns(self, audited):
        services, a = audited
        saved = services.cases.intake.rate(INTAKE, a, 5)  # Saved.id is a UUID
        page = services.queries.audit_log(AUDITOR, case_id=saved.id, after=saved)
        assert page.total == 13
        assert page.rows[0]["type"] == "Rated"

    def test_the_time_range_includes_its_start_and_excludes_its_end(self, audited):
        services, a = audited
        page = services.queries.audit_log(AUDITOR, since=at("2026-11-16 10:00"), until=at("2026-11-17 09:00"))
        assert (page.total, positions(page)) == (4, [7, 6, 5, 4])
        page = services.queries.audit_log(AUDITOR, case_id=a, until=at("2026-11-16 10:00"))
        assert positions(page) == [3, 2, 1]
        page = services.queries.audit_log(AUDITOR, case_id=a, since=at("2026-11-17 09:00"))
        assert positions(page) == [12, 11, 10, 9, 8]

    def test_the_time_range_accepts_moments_in_any_time_zone(self, audited):
        services, _ = audited
        since = datetime.fromisoformat("2026-11-16T02:00:00+00:00")  # Mon 10:00 in Shanghai
        until = datetime.fromisoformat("2026-11-16T02:00:00.000001+00:00")
        assert positions(services.queries.audit_log(AUDITOR, since=since, until=until)) == [7, 6, 5, 4]

    def test_filters_combine(self, audited):
        services, a = audited
        page = services.queries.audit_log(AUDITOR, department="amr", case_id=a, since=at("2026-11-16 10:00"),
                                          until=at("2026-11-17 09:00"))
        assert [r["type"] for r in page.rows] == [
            "ItemClockStarted", "CertificatesIssued", "ItemApproved", "ItemAccepted"]
        assert services.queries.audit_log(AUDITOR, department="amr", since=at("2026-11-17 09:00"),
                                          until=at("2026-11-18 00:00")).total == 0

    def test_the_log_is_paginated(self, audited):
        services, a = audited
        pages = [services.queries.audit_log(AUDITOR, case_id=a, per_page=4, page=n) for n in (1, 2, 3)]
        assert [p.total for p in pages] == [12, 12, 12]
        assert [positions(p) for p in pages] == [[12, 11, 10, 9], [8, 7, 6, 5], [4, 3, 2, 1]]

    def test_catalogue_publications_are_logged_too(self, audited):
        services, _ = audited
        rows = [r for r in services.queries.audit_log(AUDITOR, per_page=100).rows if r["application"] != "Cases"]
        assert {(r["application"], r["actor_id"], r["actor_role"]) for r in rows} == {("Catalogue", "admin", "admin")}
        assert ("Bundle", "Published", "catalogue load") in {(r["aggregate"], r["type"], r["reason"]) for r in rows}

    @pytest.mark.parametrize("actor", [INTAKE, SUPERVISOR, AMR], ids=str)
    def test_only_auditors_and_admins_read_the_audit_log(self, audited, actor):
        services, _ = audited
        with pytest.raises(NotAllowed):
            services.queries.audit_log(actor)


# Certificate register ---------------------------------------------------------------------------

def register(services, number: str) -> dict:
    row = services.queries.certificate(number)
    keys = ("number", "holder_name", "holder_code", "type", "name", "case_number", "issued_on", "status")
    return {k: row[k] for k in keys}


class TestCertificateRegister:
    def test_a_completed_cases_certificates_are_valid_with_holder_type_case_and_date(self, any_services):
        services = any_services
        with freeze_time("2026-11-16 09:00:00+08:00") as clock:
            case_id = open_case(services, "YJS20261116-CCCCCC").id
            submit_all(services, case_id)
            services.cases.review.accept_item(AMR, case_id, "business-licence")
            services.cases.review.approve_item(AMR, case_id, "business-licence")  # issued on Monday, held
            clock.move_to("2026-11-18 23:30:00+08:00")  # late evening: still Wednesday in Shanghai
            complete_food(services, case_id)
        services.runner.catch_up()
        assert register(services, "YJS20261116-CCCCCC-01-1") == {
            "number": "YJS20261116-CCCCCC-01-1", "holder_name": "泉城小馆餐饮有限公司", "holder_code": VALID_CODE,
            "type": "business-licence", "name": "营业执照", "case_number": "YJS20261116-CCCCCC",
            "issued_on": date(2026, 11, 16), "status": "valid"}
        assert register(services, "YJS20261116-CCCCCC-02-1") == {
            "number": "YJS20261116-CCCCCC-02-1", "holder_name": "泉城小馆餐饮有限公司", "holder_code": VALID_CODE,
            "type": "food-permit", "name": "食品经营许可证", "case_number": "YJS20261116-CCCCCC",
            "issued_on": date(2026, 11, 18), "status": "valid"}

    def test_a_held_certificate_of_an_unfinished_case_is_not_found_until_the_case_completes(self, any_services):
        services = any_services
        case_id = open_case(services, "YJS20261116-HHHHHH").id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")  # issued on approval, held
        services.runner.catch_up()
        assert services.cases.load(case_id).items["business-licence"].certificates[0]["status"] == "held"
        with pytest.raises(NotFound):
            services.queries.certificate("YJS20261116-HHHHHH-01-1")  # issued, but held
        complete_food(services, case_id)
        services.runner.catch_up()
        assert services.queries.certificate("YJS20261116-HHHHHH-01-1")["status"] == "valid"

    def test_an_unknown_certificate_number_is_not_found(self, any_services):
        with pytest.raises(NotFound):
            any_services.queries.certificate("YJS20261116-NOSUCH-01-1")

    def test_revoking_a_commitment_after_completion_revokes_only_that_items_certificate(self, any_services):
        services = any_services
        case_id = open_case(services, "YJS20261116-RRRRRR").id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
        services.cases.review.approve_on_commitment(FOOD, case_id, "food-permit", "我承诺符合食品经营条件")  # completes
        services.runner.catch_up()
        assert services.queries.certificate("YJS20261116-RRRRRR-02-1")["status"] == "valid"

        services.cases.review.revoke_commitment(FOOD, case_id, "food-permit", "the kitchen failed verification")
        services.runner.catch_up()
        assert services.queries.certificate("YJS20261116-RRRRRR-02-1")["status"] == "revoked"
        assert services.queries.certificate("YJS20261116-RRRRRR-01-1")["status"] == "valid"

    def test_a_withdrawn_cases_held_certificates_are_not_verifiable(self, any_services):
        services = any_services
        case_id = open_case(services, "YJS20261116-WWWWWW").id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")  # issued on approval, held
        saved = services.cases.intake.withdraw(INTAKE, case_id, "the applicant gave up the premises")
        services.runner.wait_until("Cases", saved.notification_id)
        with pytest.raises(NotFound):
            services.queries.certificate("YJS20261116-WWWWWW-01-1")

    def test_a_certificate_revoked_before_its_case_completed_was_never_released_and_is_not_found(
            self, any_services):
        services = any_services
        publish_issued_later(services, "business-licence")  # the licence is issued by a separate step
        case_id = open_case(services, "YJS20261116-VVVVVV").id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")  # its certificate is not issued yet
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
        services.cases.review.approve_on_commitment(FOOD, case_id, "food-permit", "我承诺符合食品经营条件")
        # the food permit's certificate was issued on approval and is held: the case is still open
        assert services.cases.load(case_id).items["food-permit"].certificates[0]["status"] == "held"
        services.cases.review.revoke_commitment(FOOD, case_id, "food-permit", "verification failed")  # case rejected
        services.runner.catch_up()
        assert services.queries.case_list(INTAKE).rows[0]["status"] == "rejected"
        with pytest.raises(NotFound):
            services.queries.certificate("YJS20261116-VVVVVV-02-1")

    def test_a_rejected_cases_held_certificates_are_not_verifiable(self, any_services):
        services = any_services
        case_id = open_case(services, "YJS20261116-XXXXXX").id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")  # issued on approval, held
        # essential: case rejected
        services.cases.review.reject_item(FOOD, case_id, "food-permit", "the kitchen is unsafe")
        services.runner.catch_up()
        assert services.queries.case_list(INTAKE).rows[0]["status"] == "rejected"
        with pytest.raises(NotFound):
            services.queries.certificate("YJS20261116-XXXXXX-01-1")


def complete_food(services, case_id) -> None:
    """Accept, inspect and approve the food permit, which issues it (the licence is approved already)."""
    services.cases.review.accept_item(FOOD, case_id, "food-permit")
    services.cases.review.record_inspection(FOOD, case_id, "food-permit", "video", True)
    services.cases.review.approve_item(FOOD, case_id, "food-permit")
