"""Users: creating them, and checking a password to find who acts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.errors import AlreadyExists, InvalidInput, NotAllowed, UserNotFound
from application.transcodings import OneThingApplication
from domain.case_guards import is_storable_text
from domain.users import User
from domain.values import Actor, Role

MIN_PASSWORD_LENGTH = 8


class PasswordHasher(Protocol):
    """Hashes passwords (infrastructure supplies Argon2)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class UsersApplication(OneThingApplication):
    """The people who use OneThing, their roles and departments."""

    name = "Users"

    def __init__(
        self, env: dict[str, str] | None = None, *, hasher: PasswordHasher,
        known_departments: Callable[[], Iterable[str]],
    ):
        super().__init__(env)
        self.hasher = hasher
        self.known_departments = known_departments

    def add_user(
        self, actor: Actor, username: str, password: str, role: str, department: str | None = None,
        display_name: str = "",
    ) -> User:
        """Create a user with a role (and the department a reviewer belongs to); admins only."""
        if actor.role != Role.ADMIN:
            raise NotAllowed("creating users is for admins")
        self._check_new_user(username, password, role, department, display_name)
        user = User.register(username, Role(role), department or None,
                             self.hasher.hash(password), actor, display_name)
        try:
            self.save(user)
        except IntegrityError:
            raise AlreadyExists(f"user {username!r} exists already") from None
        return user

    def _check_new_user(self, username: str, password: str, role: str, department: str | None,
                        display_name: str = "") -> None:
        problems: dict[str, list[str]] = {}
        if not isinstance(username, str) or not isinstance(display_name, str) or not username.strip() \
                or username != username.strip() or not is_storable_text(username + display_name):
            problems["username"] = ["a username is required, without surrounding spaces"]
        if len(password or "") < MIN_PASSWORD_LENGTH:
            problems["password"] = [f"at least {MIN_PASSWORD_LENGTH} characters"]
        if role not in {r.value for r in Role}:
            problems["role"] = [f"one of {', '.join(r.value for r in Role)}"]
        elif role == Role.REVIEWER and not department:
            problems["department"] = ["a reviewer belongs to a department"]
        if department and department not in set(self.known_departments()):
            problems["department"] = [f"unknown department {department!r}"]
        if problems:
            field, messages = next(iter(problems.items()))
            raise InvalidInput(f"{field}: {messages[0]}", problems)

    def user(self, username: str) -> User:
        """Return the user with ``username``."""
        try:
            return self.repository.get(User.create_id(username))
        except AggregateNotFoundError:
            raise UserNotFound(f"no user {username!r}") from None

    def find_actor(self, username: str) -> Actor | None:
        """Return the actor of an existing user, else None."""
        try:
            return self.user(username).as_actor()
        except UserNotFound:
            return None

    def exists(self, username: str) -> bool:
        """Return whether ``username`` is taken."""
        return User.create_id(username) in self.repository

    def authenticate(self, username: str, password: str) -> Actor | None:
        """Return the actor for a correct username and password, else None."""
        try:
            user = self.user(username)
        except UserNotFound:
            return None
        if user.disabled or not self.hasher.verify(user.password_hash, password):
            return None
        return user.as_actor()

    def disable(self, actor: Actor, username: str, reason: str) -> User:
        """Stop ``username`` from signing in (admins only); their tokens stop working too."""
        return self._admin_change(actor, username, lambda user: user.disable(actor, reason))

    def enable(self, actor: Actor, username: str, reason: str) -> User:
        """Let ``username`` sign in again (admins only)."""
        return self._admin_change(actor, username, lambda user: user.enable(actor, reason))

    def _admin_change(self, actor: Actor, username: str, change: Callable[[User], None]) -> User:
        if actor.role != Role.ADMIN:
            raise NotAllowed("managing users is for admins")
        user = self.user(username)
        change(user)
        self.save(user)
        return user
