"""An enterprise, its representative and its agents; the applicant's account and its one-time codes."""

from datetime import date

import pytest

from domain.enterprise.aggregate import AgentExists, Enterprise, UnknownAgent
from domain.shared.errors import InvalidValue
from domain.shared.values import Actor, Role
from domain.users.aggregate import ApplicantKind, CodeReused, TotpAlreadyEnabled, User

CODE = "91110000600037341L"
REP = Actor("boss", Role.APPLICANT, enterprise=CODE)
TODAY = date(2027, 3, 1)


def registered() -> Enterprise:
    return Enterprise.register(CODE, "泉城小馆餐饮有限公司", "boss", REP)


def test_the_credit_code_fixes_the_enterprise_id():
    assert registered().id == Enterprise.create_id(CODE)
    assert registered().id != Enterprise.create_id("91110000600037340H")


def test_an_agent_is_active_until_its_last_day_inclusive():
    enterprise = registered()
    enterprise.authorise_agent("clerk", ["restaurant-opening"], date(2027, 3, 31), TODAY, REP)
    agent = enterprise.agents["clerk"]
    assert agent.bundles == ("restaurant-opening",)
    assert agent.active_on(date(2027, 3, 31)) and not agent.active_on(date(2027, 4, 1))


def test_an_agent_for_every_bundle_has_none():
    enterprise = registered()
    enterprise.authorise_agent("clerk", None, TODAY, TODAY, REP)
    assert enterprise.agents["clerk"].bundles is None


def test_a_last_day_in_the_past_is_refused():
    with pytest.raises(InvalidValue):
        registered().authorise_agent("clerk", None, date(2027, 2, 28), TODAY, REP)


@pytest.mark.parametrize("name", ["boss", "clerk"])
def test_the_representative_or_an_existing_agent_cannot_be_authorised_again(name):
    enterprise = registered()
    enterprise.authorise_agent("clerk", None, TODAY, TODAY, REP)
    with pytest.raises(AgentExists):
        enterprise.authorise_agent(name, None, TODAY, TODAY, REP)


def test_revoking_is_recorded_once_with_its_reason():
    enterprise = registered()
    enterprise.authorise_agent("clerk", None, TODAY, TODAY, REP)
    assert enterprise.revoke_agent("clerk", REP, "left the company")
    assert not enterprise.revoke_agent("clerk", REP, "again")
    revoked = [e for e in enterprise.collect_events() if isinstance(e, Enterprise.AgentRevoked)]
    assert [(e.username, e.reason, e.actor) for e in revoked] == [("clerk", "left the company", REP)]
    assert not enterprise.agents["clerk"].active_on(TODAY)
    with pytest.raises(UnknownAgent):
        enterprise.revoke_agent("stranger", REP, "who?")


def agent_user(until: date = date(2027, 3, 31)) -> User:
    user = User.register("clerk", Role.APPLICANT, None, "hash", REP)
    user.bind_applicant(CODE, ApplicantKind.AGENT, REP, bundles=["restaurant-opening"], until=until,
                        email="clerk@example.com")
    return user


def test_an_agent_acts_for_its_enterprise_with_its_bundles():
    actor = agent_user().as_actor()
    assert (actor.enterprise, actor.bundles) == (CODE, ("restaurant-opening",))


def test_a_revoked_agent_or_one_past_its_last_day_may_not_sign_in():
    user = agent_user()
    assert user.may_sign_in(date(2027, 3, 31)) and not user.may_sign_in(date(2027, 4, 1))
    user.revoke_agent(REP, "left")
    assert not user.may_sign_in(TODAY) and user.tokens_valid_after is not None


def test_staff_are_never_bound_to_an_enterprise():
    with pytest.raises(InvalidValue):
        User.register("window1", Role.INTAKE, None, "hash", REP).bind_applicant(CODE, ApplicantKind.AGENT, REP)


def test_users_recorded_before_applicants_read_the_defaults():
    user = User.register("window1", Role.INTAKE, None, "hash", REP)
    assert (user.enterprise, user.kind, user.revoked, user.totp_enabled) == (None, None, False, False)
    assert user.may_sign_in(TODAY)


def test_a_code_of_a_step_already_used_or_earlier_is_refused():
    user = agent_user()
    user.enrol_totp("SECRET", REP)
    user.enable_totp(100, REP)
    with pytest.raises(CodeReused):
        user.use_totp_code(100, REP)
    user.use_totp_code(101, REP)
    with pytest.raises(CodeReused):
        user.use_totp_code(100, REP)
    with pytest.raises(TotpAlreadyEnabled):
        user.enrol_totp("OTHER", REP)
