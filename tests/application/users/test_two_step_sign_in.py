"""Two-step sign-in (TOTP): enrolling, confirming, signing in with a code once, turning it off."""

from __future__ import annotations

import pyotp
import pytest

from application.common.errors import InvalidInput, NotAllowed
from application.users.identity import OtpRequired
from application.users.sign_in import SignIns, TooManySignIns
from application.users.tokens import Unauthenticated
from infrastructure.accounts.sessions import FailureCounter
from tests.application.applicants.conftest import PASSWORD
from tests.conftest import ADMIN


def code(secret: str, clock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * steps)


@pytest.fixture
def secret(services, clock) -> str:
    """``window1`` (staff) with two-step sign-in turned on; its secret."""
    services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
    actor = services.users.find_actor("window1")
    enrolment = services.two_factor.enrol(actor)
    assert enrolment.uri.startswith("otpauth://totp/OneThing:window1?secret=")
    services.two_factor.confirm(actor, code(enrolment.secret, clock, -1), PASSWORD)
    return enrolment.secret


def test_enrolling_alone_does_not_ask_for_a_code(services, clock):
    services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
    services.two_factor.enrol(services.users.find_actor("window1"))
    assert services.tokens.sign_in("window1", PASSWORD).actor.user_id == "window1"


def test_a_wrong_confirmation_code_leaves_it_off(services, clock):
    services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
    actor = services.users.find_actor("window1")
    services.two_factor.enrol(actor)
    with pytest.raises(InvalidInput):
        services.two_factor.confirm(actor, "000000", PASSWORD)
    assert not services.two_factor.enabled("window1")


def test_confirming_without_enrolling_is_refused(services, clock):
    services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
    with pytest.raises(NotAllowed):
        services.two_factor.confirm(services.users.find_actor("window1"), "123456", PASSWORD)


def test_signing_in_without_the_code_asks_for_it(services, secret):
    with pytest.raises(OtpRequired) as asked:
        services.tokens.sign_in("window1", PASSWORD)
    assert asked.value.code == "otp_required"


def test_a_wrong_password_never_says_a_code_is_needed(services, secret):
    with pytest.raises(Unauthenticated):
        services.tokens.sign_in("window1", "a-wrong-passphrase-1")


def test_the_right_code_signs_in_once(services, secret, clock):
    now = code(secret, clock)
    assert services.tokens.sign_in("window1", PASSWORD, otp=now).actor.user_id == "window1"
    with pytest.raises(Unauthenticated):
        services.tokens.sign_in("window1", PASSWORD, otp=now)  # the same code again
    clock.move(seconds=30)
    assert services.tokens.sign_in("window1", PASSWORD, otp=code(secret, clock)).actor.user_id == "window1"


def test_a_wrong_code_is_refused(services, secret):
    with pytest.raises(Unauthenticated):
        services.tokens.sign_in("window1", PASSWORD, otp="000000")


def test_wrong_codes_count_as_failed_sign_ins(services, secret, clock):
    sign_ins = SignIns(services.users, FailureCounter(services.sessions.engine), clock,
                       identity=services.sign_ins.identity, pair_limit=3)
    for _ in range(3):
        assert sign_ins.authenticate("window1", PASSWORD, "203.0.113.9", otp="000000") is None
    with pytest.raises(TooManySignIns):
        sign_ins.authenticate("window1", PASSWORD, "203.0.113.9", otp=code(secret, clock))


def test_turning_it_off_needs_the_password_and_a_code(services, secret, clock):
    actor = services.users.find_actor("window1")
    with pytest.raises(InvalidInput):
        services.two_factor.disable(actor, "a-wrong-passphrase-1", code(secret, clock))
    with pytest.raises(InvalidInput):
        services.two_factor.disable(actor, PASSWORD, "000000")
    services.two_factor.disable(actor, PASSWORD, code(secret, clock))
    assert services.tokens.sign_in("window1", PASSWORD).actor.user_id == "window1"


def test_an_applicant_may_turn_it_on_too(services, enterprise, clock):
    enrolment = services.two_factor.enrol(enterprise)
    services.two_factor.confirm(enterprise, code(enrolment.secret, clock), PASSWORD)
    with pytest.raises(OtpRequired):
        services.tokens.sign_in("boss", PASSWORD)


def test_turning_two_step_sign_in_on_needs_the_password_too(services, clock):
    """A stolen session or token alone cannot bind the account to somebody else's authenticator."""
    services.users.add_user(ADMIN, "window1", PASSWORD, "intake")
    actor = services.users.find_actor("window1")
    enrolment = services.two_factor.enrol(actor)
    with pytest.raises(InvalidInput):
        services.two_factor.confirm(actor, code(enrolment.secret, clock), "not the password")
    assert not services.two_factor.enabled("window1")
