"""Enterprises register online; the representative authorises and revokes agents, who act only within them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.applicants.accounts import RepresentativeExists
from application.common.errors import AlreadyExists, InvalidInput, NotAllowed
from application.users.tokens import Unauthenticated
from domain.enterprise.aggregate import UnknownAgent
from domain.shared.values import Actor, Role
from tests.application.applicants.conftest import CODE, OTHER_CODE, PASSWORD
from tests.conftest import ADMIN


def authorise(services, boss, username="clerk", bundles=None, days=30):
    until = (services.users.clock.today() + timedelta(days=days)).isoformat()
    return services.accounts.authorise_agent(boss, username, PASSWORD, bundles, until)


class TestRegister:
    def test_the_representative_signs_in_for_the_enterprise(self, services, enterprise):
        actor = services.users.authenticate("boss", PASSWORD)
        assert actor == Actor("boss", Role.APPLICANT, None, CODE)
        assert services.accounts.enterprise(CODE).name == "泉城小馆餐饮有限公司"

    def test_a_second_registration_of_the_enterprise_is_refused(self, services, enterprise):
        with pytest.raises(RepresentativeExists) as refused:
            services.accounts.register_enterprise(CODE, "冒名公司", "李四", "imposter", PASSWORD)
        assert refused.value.code == "representative_exists"
        assert not services.users.exists("imposter")

    def test_a_credit_code_with_a_wrong_check_digit_is_refused(self, services):
        with pytest.raises(InvalidInput) as refused:
            services.accounts.register_enterprise("91110000600037341X", "某公司", "李四", "li4", PASSWORD)
        assert "applicant.credit_code" in refused.value.fields

    def test_the_password_rule_of_staff_applies(self, services):
        with pytest.raises(InvalidInput) as refused:
            services.accounts.register_enterprise(CODE, "某公司", "李四", "li4", "password123")
        assert "password" in refused.value.fields

    def test_a_taken_username_is_refused(self, services):
        services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
        with pytest.raises(AlreadyExists):
            services.accounts.register_enterprise(CODE, "某公司", "李四", "window1", PASSWORD)

    def test_a_malformed_email_is_refused(self, services):
        with pytest.raises(InvalidInput) as refused:
            services.accounts.register_enterprise(CODE, "某公司", "李四", "li4", PASSWORD, email="not-mail")
        assert "email" in refused.value.fields


class TestAgents:
    def test_an_agent_acts_for_the_enterprise_within_its_bundles(self, services, enterprise):
        authorise(services, enterprise, bundles=["restaurant-opening"])
        actor = services.users.authenticate("clerk", PASSWORD)
        assert (actor.enterprise, actor.bundles) == (CODE, ("restaurant-opening",))
        assert [a.username for a in services.accounts.agents(enterprise)] == ["clerk"]

    def test_unknown_bundles_are_refused(self, services, enterprise):
        with pytest.raises(InvalidInput) as refused:
            authorise(services, enterprise, bundles=["no-such-bundle"])
        assert "bundles" in refused.value.fields
        assert not services.users.exists("clerk")

    def test_a_last_day_before_today_is_refused(self, services, enterprise):
        with pytest.raises(Exception) as refused:
            authorise(services, enterprise, days=-1)
        assert getattr(refused.value, "code", "") in ("invalid_value", "invalid_input")
        assert not services.users.exists("clerk")

    def test_only_the_representative_manages_agents(self, services, enterprise):
        authorise(services, enterprise)
        clerk = services.users.find_actor("clerk")
        for actor in (clerk, ADMIN, Actor("window1", Role.INTAKE)):
            with pytest.raises(NotAllowed):
                authorise(services, actor, username="another")
            with pytest.raises(NotAllowed):
                services.accounts.revoke_agent(actor, "clerk", "not theirs")
            with pytest.raises(NotAllowed):
                services.accounts.agents(actor)

    def test_another_enterprises_representative_cannot_touch_the_agents(self, services, enterprise):
        authorise(services, enterprise)
        services.accounts.register_enterprise(OTHER_CODE, "别家公司", "赵六", "other-boss", PASSWORD)
        other = services.users.find_actor("other-boss")
        with pytest.raises(UnknownAgent):
            services.accounts.revoke_agent(other, "clerk", "not ours")
        assert services.users.authenticate("clerk", PASSWORD) is not None

    def test_a_revoked_agents_token_is_refused_at_once(self, services, enterprise):
        authorise(services, enterprise)
        token = services.tokens.sign_in("clerk", PASSWORD).token
        assert services.tokens.actor_for(token).user_id == "clerk"
        services.accounts.revoke_agent(enterprise, "clerk", "left the company")
        with pytest.raises(Unauthenticated):
            services.tokens.actor_for(token)
        assert services.users.authenticate("clerk", PASSWORD) is None

    def test_revoking_ends_the_agents_ui_sessions(self, services, enterprise):
        authorise(services, enterprise)
        now = services.users.clock.now().timestamp()
        session_id = services.sessions.start("clerk", now, now - 3600)
        services.accounts.revoke_agent(enterprise, "clerk", "left")
        assert services.sessions.find(session_id) is None

    def test_an_agent_past_its_last_day_is_refused(self, services, enterprise, clock):
        clock.moment = clock.moment.replace(hour=20)
        authorise(services, enterprise, days=0)  # today is its last day
        token = services.tokens.sign_in("clerk", PASSWORD).token
        assert services.tokens.actor_for(token).user_id == "clerk"
        clock.move(hours=5)  # the next day, the token not yet expired
        with pytest.raises(Unauthenticated):
            services.tokens.actor_for(token)
        assert services.users.authenticate("clerk", PASSWORD) is None
        assert [a.active for a in services.accounts.agents(enterprise)] == [False]

    def test_contacts_are_the_representative_and_the_active_agents(self, services, enterprise):
        services.accounts.authorise_agent(enterprise, "clerk", PASSWORD, None,
                                          services.users.clock.today().isoformat(), email="clerk@example.com")
        authorise(services, enterprise, username="leaver")
        services.accounts.revoke_agent(enterprise, "leaver", "left")
        contacts = services.accounts.enterprise_contacts(CODE)
        assert [(c.username, c.kind, c.email, c.phone) for c in contacts] == [
            ("boss", "representative", "boss@example.com", "13800000000"),
            ("clerk", "agent", "clerk@example.com", None)]
        assert services.accounts.enterprise_contacts(OTHER_CODE) == []

    def test_every_change_records_who_and_why(self, services, enterprise):
        authorise(services, enterprise)
        services.accounts.revoke_agent(enterprise, "clerk", "left the company")
        events = list(services.users.recorder.select_events(services.users.user("clerk").id))
        last = services.users.mapper.to_domain_event(events[-1])
        assert (last.actor, last.reason) == (enterprise, "left the company")


def test_staff_sign_in_as_before(services, enterprise):
    services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
    assert services.users.authenticate("window1", PASSWORD) == Actor("window1", Role.INTAKE)
    assert services.users.view("window1").enterprise is None
