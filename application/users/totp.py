"""Two-step sign-in with time-based one-time codes (TOTP, RFC 6238, via pyotp), for any account.

Enrolling makes a secret and its ``otpauth://`` URI (shown as a QR code); a code confirms it and turns the
second step on; turning it off needs the password and a code. A code counts for its 30-second step and
the steps either side (clocks drift); once a step signed someone in, it and every earlier one are spent,
recorded as ``User.TotpCodeUsed`` — so a code seen over a shoulder cannot be used again, in any process.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import pyotp
from eventsourcing.persistence import IntegrityError

from application.common.clock import Clock
from application.common.errors import InvalidInput, NotAllowed
from application.users.application import UsersApplication
from application.users.password_rule import WRONG_CURRENT, WeakPassword
from domain.shared.values import Actor
from domain.users.aggregate import CodeReused, User

ISSUER = "OneThing"
DRIFT_STEPS = 1  # a code of the step before or after counts too
WRONG_CODE = "the code is not correct: type the 6 digits your authenticator app shows now / 验证码不正确"


@dataclass(frozen=True)
class Enrolment:
    """A new secret, shown once: the text to type into an app, and the URI a QR code carries."""

    secret: str
    uri: str


def matching_step(secret: str, code: object, clock: Clock) -> int | None:
    """The time step whose code ``code`` is (within the drift), or None."""
    if not isinstance(code, str) or not code.strip().isdigit():
        return None
    totp, typed = pyotp.TOTP(secret), code.strip()
    now = totp.timecode(clock.now())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


class TwoFactor:
    """Enrols, confirms, turns off and checks the one-time codes of users (kept in the Users store)."""

    def __init__(self, users: UsersApplication, clock: Clock):
        self.users, self.clock = users, clock

    def enrol(self, actor: Actor) -> Enrolment:
        """Make a new secret for the actor's own account (off until ``confirm``)."""
        user = self.users.user(actor.user_id)
        secret = pyotp.random_base32()
        user.enrol_totp(secret, actor)
        self.users.save(user)
        return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER))

    def confirm(self, actor: Actor, code: str, password: str) -> None:
        """Turn two-step sign-in on with the password and a code of the enrolled secret (a stolen session alone
        cannot bind the account to another's authenticator)."""
        user = self.users.user(actor.user_id)
        if not isinstance(password, str) or not self.users.hasher.verify(user.password_hash, password):
            raise WeakPassword("password", WRONG_CURRENT)
        if user.totp_pending is None:
            raise NotAllowed("enrol first (POST /auth/totp): there is no secret to confirm")
        step = matching_step(user.totp_pending, code, self.clock)
        if step is None:
            raise InvalidInput(f"code: {WRONG_CODE}", {"code": [WRONG_CODE]})
        user.enable_totp(step, actor)
        self.users.save(user)

    def disable(self, actor: Actor, password: str, code: str) -> None:
        """Turn two-step sign-in off: the password and a fresh code are both needed."""
        user = self.users.user(actor.user_id)
        if not isinstance(password, str) or not self.users.hasher.verify(user.password_hash, password):
            raise WeakPassword("password", WRONG_CURRENT)
        if user.totp_secret is not None:
            self._spend(user, code, actor)
        user.disable_totp(actor)
        self.users.save(user)

    def enabled(self, username: str) -> bool:
        """Whether ``username`` signs in with a code."""
        return self.users.user(username).totp_enabled

    def check(self, username: str, code: str) -> bool:
        """Spend ``code`` for ``username`` signing in: False if it is wrong or was used (saved at once)."""
        user = self.users.user(username)
        try:
            self._spend(user, code, user.as_actor())
            self.users.save(user)
        except (InvalidInput, CodeReused, IntegrityError):  # IntegrityError: the same code at once elsewhere
            return False
        return True

    def _spend(self, user: User, code: str, actor: Actor) -> None:
        step = matching_step(user.totp_secret or "", code, self.clock) if user.totp_secret else None
        if step is None:
            raise InvalidInput(f"code: {WRONG_CODE}", {"code": [WRONG_CODE]})
        user.use_totp_code(step, actor)
