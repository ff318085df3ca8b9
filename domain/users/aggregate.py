"""Users of OneThing: who they are, their role and (for reviewers) their department."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.catalogue.aggregate import CATALOGUE_NAMESPACE
from domain.shared.errors import DomainError, InvalidValue
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor, Role


class TotpAlreadyEnabled(DomainError):
    """Raised when enrolling a TOTP secret while one is in use."""

    code = "totp_enabled"


class CannotDisableSelf(DomainError):
    """Raised when an admin tries to disable their own account."""

    code = "cannot_disable_self"


class LastAdmin(DomainError):
    """Raised when disabling a user would leave no enabled admin."""

    code = "last_admin"


class ApplicantKind(StrEnum):
    """What an applicant account is to its enterprise."""

    REPRESENTATIVE = "representative"  # 法定代表人: registered the enterprise, manages its agents
    AGENT = "agent"  # 经办人: authorised by the representative for some bundles or all, until a date


class CodeReused(DomainError):
    """Raised when a one-time code (TOTP) of a time step already used, or an earlier one, is presented."""

    code = "otp_reused"


def canonical_username(name: str) -> str:
    """The form in which usernames are compared: Unicode NFKC, case-folded (``Ｗindow1`` → ``window1``)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


NEW_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def is_allowed_new_username(name: str) -> bool:
    """Whether a new user may take ``name``: ASCII letters, digits, ``.``, ``_`` and ``-``, at most 64.

    Only ASCII, so that no new name can look like another in a different script (Cyrillic ``аdmin`` beside
    ``admin``). Users registered under other names before this rule keep them.
    """
    return NEW_USERNAME.fullmatch(name) is not None


class User(Aggregate):
    """A person who signs in. The username fixes the id, so a name is taken only once.

    An applicant's account also carries its enterprise and, for an agent, what the representative allowed,
    so that signing in never loads the enterprise. The class attributes below are the values of users
    recorded before these facts existed (staff, and every user of earlier releases).
    """

    enterprise: str | None = None  # an applicant's credit code
    kind: ApplicantKind | None = None
    bundles: tuple[str, ...] | None = None  # an agent's bundles; None: all
    until: date | None = None  # an agent's last day (inclusive)
    revoked: bool = False  # an agent the representative revoked
    email: str | None = None
    phone: str | None = None
    totp_pending: str | None = None  # a secret enrolled, not yet confirmed with a code
    totp_secret: str | None = None  # the secret in use: sign-in asks for a code
    totp_last_step: int = -1  # the time step of the last code accepted: that one and earlier are spent

    class Registered(Created):
        """The user was created."""

        username: str
        display_name: str
        role: Role
        department: str | None
        password_hash: str

    class PasswordChanged(Recorded):
        """The user's password was replaced (only its hash is kept); earlier tokens and sessions end."""

        password_hash: str

        def apply(self, user: User) -> None:
            user.password_hash = self.password_hash
            user.tokens_valid_after = self.timestamp

    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        """A user's id follows from the username."""
        return uuid5(CATALOGUE_NAMESPACE, f"user:{username}")

    def __init__(
        self, username: str, display_name: str, role: Role, department: str | None,
        password_hash: str, actor: Actor, reason: str,
    ):
        self.username = username
        self.display_name = display_name
        self.role = Role(role)
        self.department = department
        self.password_hash = password_hash
        self.disabled = False
        self.tokens_valid_after: datetime | None = None

    @classmethod
    def register(
        cls, username: str, role: Role, department: str | None, password_hash: str,
        actor: Actor, display_name: str = "",
    ) -> User:
        """Create a user; reviewers must belong to a department."""
        if role == Role.REVIEWER and not department:
            raise InvalidValue("a reviewer needs a department")
        return cls._create(
            cls.Registered, username=username, display_name=display_name or username,
            role=Role(role), department=department, password_hash=password_hash,
            actor=actor, reason="user created",
        )

    class Disabled(Recorded):
        """The user may no longer sign in; their tokens stop working."""

        def apply(self, user: User) -> None:
            user.disabled = True
            user.tokens_valid_after = self.timestamp  # tokens issued before this never work again

    class Enabled(Recorded):
        """The user may sign in again."""

        def apply(self, user: User) -> None:
            user.disabled = False

    def disable(self, actor: Actor, reason: str, *, enabled_admins: int) -> None:
        """Stop the user from signing in (idempotent); never oneself, never the last of ``enabled_admins``."""
        if self.disabled:
            return
        if actor.user_id == self.username:
            raise CannotDisableSelf("you cannot disable your own account: ask another admin")
        if self.role == Role.ADMIN and enabled_admins <= 1:
            raise LastAdmin(f"{self.username!r} is the last enabled admin: enable or add another admin first")
        self.trigger_event(self.Disabled, actor=actor, reason=reason)

    def enable(self, actor: Actor, reason: str) -> None:
        """Let the user sign in again (idempotent)."""
        if self.disabled:
            self.trigger_event(self.Enabled, actor=actor, reason=reason)

    def change_password(self, password_hash: str, actor: Actor, reason: str = "password changed") -> None:
        """Replace the password hash."""
        self.trigger_event(self.PasswordChanged, password_hash=password_hash, actor=actor, reason=reason)

    class ApplicantBound(Recorded):
        """The account was bound to an enterprise, as its representative or an agent, with its contact."""

        enterprise: str
        kind: str
        bundles: list[str] | None
        until: date | None
        email: str | None
        phone: str | None

        def apply(self, user: User) -> None:
            user.enterprise, user.kind = self.enterprise, ApplicantKind(self.kind)
            user.bundles = tuple(self.bundles) if self.bundles is not None else None
            user.until, user.email, user.phone = self.until, self.email, self.phone

    class AgentRevoked(Recorded):
        """The representative revoked this agent: it may no longer sign in; its tokens and sessions end."""

        def apply(self, user: User) -> None:
            user.revoked = True
            user.tokens_valid_after = self.timestamp

    class TotpEnrolled(Recorded):
        """A TOTP secret was made for the user, waiting for a code to confirm it."""

        secret: str

        def apply(self, user: User) -> None:
            user.totp_pending = self.secret

    class TotpEnabled(Recorded):
        """A code confirmed the enrolled secret: signing in now needs a code."""

        step: int

        def apply(self, user: User) -> None:
            user.totp_secret, user.totp_pending, user.totp_last_step = user.totp_pending, None, self.step

    class TotpDisabled(Recorded):
        """Signing in no longer needs a code."""

        def apply(self, user: User) -> None:
            user.totp_secret = user.totp_pending = None

    class TotpCodeUsed(Recorded):
        """A code of time step ``step`` signed the user in: it and every earlier one are spent."""

        step: int

        def apply(self, user: User) -> None:
            user.totp_last_step = self.step

    def bind_applicant(self, enterprise: str, kind: ApplicantKind, actor: Actor, *, bundles: list[str] | None = None,
                       until: date | None = None, email: str | None = None, phone: str | None = None) -> None:
        """Bind this applicant's account to its enterprise (once, right after registering it)."""
        if self.role != Role.APPLICANT or self.enterprise is not None:
            raise InvalidValue("only a new applicant account is bound to an enterprise")
        self.trigger_event(self.ApplicantBound, enterprise=enterprise, kind=str(kind), bundles=bundles, until=until,
                           email=email, phone=phone, actor=actor, reason=f"{kind} of {enterprise}")

    def revoke_agent(self, actor: Actor, reason: str) -> None:
        """End this agent's access at once (idempotent)."""
        if self.kind == ApplicantKind.AGENT and not self.revoked:
            self.trigger_event(self.AgentRevoked, actor=actor, reason=reason)

    def may_sign_in(self, today: date) -> bool:
        """Not disabled, not a revoked agent, and not an agent past its last day."""
        return not self.disabled and not self.revoked and (self.until is None or today <= self.until)

    @property
    def totp_enabled(self) -> bool:
        """Whether signing in needs a one-time code."""
        return self.totp_secret is not None

    def enrol_totp(self, secret: str, actor: Actor) -> None:
        """Keep a new secret until a code confirms it (a secret in use stays until then)."""
        if self.totp_enabled:
            raise TotpAlreadyEnabled("two-step sign-in is on already: turn it off first")
        self.trigger_event(self.TotpEnrolled, secret=secret, actor=actor, reason="two-step sign-in enrolled")

    def enable_totp(self, step: int, actor: Actor) -> None:
        """Turn the enrolled secret on, a code of ``step`` having matched it."""
        if self.totp_pending is None:
            raise InvalidValue("enrol first: there is no secret to confirm")
        self.trigger_event(self.TotpEnabled, step=step, actor=actor, reason="two-step sign-in turned on")

    def disable_totp(self, actor: Actor, reason: str = "two-step sign-in turned off") -> None:
        """Turn two-step sign-in off (idempotent)."""
        if self.totp_enabled or self.totp_pending is not None:
            self.trigger_event(self.TotpDisabled, actor=actor, reason=reason)

    def use_totp_code(self, step: int, actor: Actor) -> None:
        """Spend the code of time step ``step``; a step used before, or an earlier one, is refused."""
        if step <= self.totp_last_step:
            raise CodeReused("this code was used already: wait for the next one")
        self.trigger_event(self.TotpCodeUsed, step=step, actor=actor, reason="signed in with a one-time code")

    def as_actor(self) -> Actor:
        """Return the actor this user acts as (an applicant with its enterprise, an agent with its bundles)."""
        bundles = self.bundles if self.kind == ApplicantKind.AGENT else None
        return Actor(self.username, self.role, self.department, self.enterprise, bundles)


class AdminGuard(Aggregate):
    """One per store: disabling an admin is recorded here too, so two at once conflict and one counts again.

    Without it, two admins disabling each other at the same moment would each count two enabled admins,
    both succeed, and leave none.
    """

    class Started(Created):
        """The guard was set up (by the first disabling of an admin)."""

    class AdminDisabled(Recorded):
        """An admin was disabled while others stayed enabled."""

        username: str

    @staticmethod
    def create_id(**_: Any) -> UUID:
        """There is one guard."""
        return uuid5(CATALOGUE_NAMESPACE, "users:admin-guard")

    def __init__(self, actor: Actor, reason: str):
        pass

    @classmethod
    def start(cls, actor: Actor) -> AdminGuard:
        """Set up the guard."""
        return cls._create(cls.Started, actor=actor, reason="guards the last enabled admin")

    def note_disabled(self, username: str, actor: Actor, reason: str) -> None:
        """Record that ``username``, an admin, is being disabled."""
        self.trigger_event(self.AdminDisabled, username=username, actor=actor, reason=reason)
