"""Signing in for the API: bearer tokens with an expiry, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsourcing.application import AggregateNotFoundError

from application.common.clock import Clock
from application.common.errors import InvalidInput, NotAllowed
from application.users.application import UsersApplication
from application.users.sign_in import NoCounts, SignIns
from domain.shared.values import Actor, Role
from domain.users.tokens import ApiToken

DEFAULT_LIFETIME = timedelta(hours=12)


class Unauthenticated(NotAllowed):
    """Raised when no valid token (or no valid username and password) was presented."""

    code = "unauthenticated"


@dataclass(frozen=True)
class IssuedToken:
    """A new token, shown once to the person who signed in."""

    token: str
    expires_at: datetime
    actor: Actor


def token_hash(token: str) -> str:
    """Tokens are long and random, so a plain SHA-256 of them is safe to keep."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    """Issues, checks and revokes API tokens (kept in the Users event store)."""

    def __init__(self, users: UsersApplication, clock: Clock, lifetime: timedelta = DEFAULT_LIFETIME,
                 sign_ins: SignIns | None = None):
        self.users, self.clock, self.lifetime = users, clock, lifetime
        self.sign_ins = sign_ins or SignIns(users, NoCounts(), clock)

    def sign_in(self, username: str, password: str, address: str = "", limited: bool = True,
                otp: str | None = None) -> IssuedToken:
        """Check the password and, where the account has one, the one-time code (within the sign-in limits)
        and issue a token; one answer for every failure (``OtpRequired`` when only the code is missing)."""
        if not isinstance(username, str) or not isinstance(password, str) or not isinstance(otp, str | None):
            raise InvalidInput("username and password are text", {"username": ["text"], "password": ["text"]})
        actor = self.sign_ins.authenticate(username, password, address, limited, otp)
        if actor is None:
            raise Unauthenticated("wrong username or password, or the user is disabled")
        return self.issue(actor)

    def issue(self, actor: Actor) -> IssuedToken:
        """Issue a new token for ``actor`` (after signing in, or after changing the password)."""
        token = secrets.token_urlsafe(32)
        expires_at = self.clock.now() + self.lifetime
        self.users.save(ApiToken.issue(token_hash(token), actor.user_id, expires_at, actor))
        return IssuedToken(token, expires_at, actor)

    def change_password(self, actor: Actor, current_password: str, new_password: str) -> IssuedToken:
        """Change the actor's own password: every token issued before stops; answer a fresh one."""
        self.users.change_password(actor, current_password, new_password)
        return self.issue(actor)

    def actor_for(self, token: str) -> Actor:
        """Return who presents ``token``, or raise ``Unauthenticated``."""
        record = self._record(token)
        if record is None or not record.is_valid(self.clock.now()):
            raise Unauthenticated("the token is unknown, expired or revoked")
        user = self.users.user(record.username)
        if not user.may_sign_in(self.clock.today()):
            raise Unauthenticated("the user is disabled, revoked, or past the last day it was authorised for")
        if user.tokens_valid_after is not None and record.created_on <= user.tokens_valid_after:
            raise Unauthenticated("the token was issued before the user was disabled")
        return user.as_actor()

    def revoke(self, token: str, actor: Actor) -> None:
        """Revoke ``token`` (its owner signing out, or an admin)."""
        record = self._record(token)
        if record is None:
            raise Unauthenticated("the token is unknown")
        if record.username != actor.user_id and actor.role != Role.ADMIN:
            raise NotAllowed("only the token's owner or an admin may revoke it")
        record.revoke(actor)
        self.users.save(record)

    def _record(self, token: str) -> ApiToken | None:
        if not isinstance(token, str) or not token:
            return None
        try:
            return self.users.repository.get(ApiToken.create_id(token_hash(token)))
        except AggregateNotFoundError:
            return None

