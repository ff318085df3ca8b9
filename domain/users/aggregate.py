"""Users of OneThing: who they are, their role and (for reviewers) their department."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.catalogue.aggregate import CATALOGUE_NAMESPACE
from domain.shared.errors import DomainError, InvalidValue
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor, Role


class CannotDisableSelf(DomainError):
    """Raised when an admin tries to disable their own account."""

    code = "cannot_disable_self"


class LastAdmin(DomainError):
    """Raised when disabling a user would leave no enabled admin."""

    code = "last_admin"


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
    """A person who signs in. The username fixes the id, so a name is taken only once."""

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

    def as_actor(self) -> Actor:
        """Return the actor this user acts as."""
        return Actor(self.username, self.role, self.department)


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
