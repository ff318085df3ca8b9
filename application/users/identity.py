"""Who is signing in: one small interface, so a province can put its own identity provider behind it.

OneThing's own accounts (``LocalAccounts``: Argon2 passwords and optional TOTP) are the default. Another
provider — a legal-person e-ID (法人电子身份), a province's unified identity service (统一身份认证) — is named
by ``ONETHING_IDENTITY_PROVIDER=package.module:factory``; the factory is called as
``factory(local=LocalAccounts, users=UsersApplication)`` and returns an ``IdentityProvider`` (it may fall back
to ``local`` for staff). Whatever it returns must be the actor of a user the Users store holds, since
tokens and UI sessions reload the user on every request (disabled, revoked, past its last day).
The sign-in limits (``application.users.sign_in``) wrap every provider alike.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from application.common.errors import NotAllowed
from application.users.application import UsersApplication
from application.users.totp import TwoFactor
from domain.shared.values import Actor


class OtpRequired(NotAllowed):
    """Raised when the password was right but the account needs a one-time code too and none came (HTTP 401)."""

    code = "otp_required"


class IdentityProvider(Protocol):
    """Checks what someone signing in presents and says who they are."""

    def authenticate(self, username: str, password: str, otp: str | None, address: str) -> Actor | None:
        """The actor, or None for any failure (counted as a failed sign-in); ``OtpRequired`` when the
        password was right but a one-time code is needed and none came."""


class LocalAccounts:
    """OneThing's own accounts: the password (Argon2), then the one-time code where the user turned it on."""

    def __init__(self, users: UsersApplication, two_factor: TwoFactor):
        self.users, self.two_factor = users, two_factor

    def authenticate(self, username: str, password: str, otp: str | None, address: str) -> Actor | None:
        actor = self.users.authenticate(username, password)
        if actor is None or not self.two_factor.enabled(actor.user_id):
            return actor
        if otp is None or otp == "":
            raise OtpRequired("this account signs in with a one-time code as well: send it as 'otp'")
        return actor if self.two_factor.check(actor.user_id, otp) else None


def load_provider(spec: str, local: LocalAccounts, users: UsersApplication) -> IdentityProvider:
    """The provider ``spec`` (``module:factory``) names, or ``local`` when it is empty."""
    if not spec.strip():
        return local
    module_name, _, factory_name = spec.strip().partition(":")
    if not module_name or not factory_name:
        raise ValueError(f"ONETHING_IDENTITY_PROVIDER: write it as package.module:factory, not {spec!r}")
    factory = getattr(importlib.import_module(module_name), factory_name)
    provider: IdentityProvider = factory(local=local, users=users)
    return provider
