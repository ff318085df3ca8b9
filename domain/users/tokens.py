"""API tokens: issued to a user for a limited time, revocable. Only the token's hash is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.catalogue.aggregate import CATALOGUE_NAMESPACE
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor


class ApiToken(Aggregate):
    """A bearer token. Its id follows from the token's hash, so a presented token is found directly."""

    class Issued(Created):
        """The token was issued to ``username`` until ``expires_at``."""

        token_hash: str
        username: str
        expires_at: datetime

    class Revoked(Recorded):
        """The token was revoked (signed out, or by an admin)."""

        def apply(self, token: ApiToken) -> None:
            token.revoked = True

    @staticmethod
    def create_id(token_hash: str, **_: Any) -> UUID:
        """The token's id, from its hash."""
        return uuid5(CATALOGUE_NAMESPACE, f"token:{token_hash}")

    def __init__(self, token_hash: str, username: str, expires_at: datetime, actor: Actor, reason: str):
        self.username, self.expires_at, self.revoked = username, expires_at, False

    @classmethod
    def issue(cls, token_hash: str, username: str, expires_at: datetime, actor: Actor) -> ApiToken:
        """Issue a token for ``username``."""
        return cls._create(cls.Issued, token_hash=token_hash, username=username, expires_at=expires_at,
                           actor=actor, reason="signed in")

    def is_valid(self, now: datetime) -> bool:
        """Not revoked and not expired at ``now``."""
        return not self.revoked and now < self.expires_at

    def revoke(self, actor: Actor, reason: str = "signed out") -> None:
        """Revoke the token (once)."""
        if not self.revoked:
            self.trigger_event(self.Revoked, actor=actor, reason=reason)
