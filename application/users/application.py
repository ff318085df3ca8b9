"""Users: creating them, checking a password to find who acts, changing passwords, disabling.

Usernames are compared in their canonical form (``domain.users.aggregate.canonical_username``): a new name must
already be written that way, in ASCII letters, digits, ``.``, ``_`` and ``-`` (so it cannot look like
another in a different script), and one whose canonical form another user has is taken. Users stored by
earlier releases under other spellings keep their names and sign in with them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Protocol

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.common.application import OneThingApplication
from application.common.clock import Clock, SystemClock
from application.common.errors import AlreadyExists, InvalidInput, NotAllowed, UserNotFound
from application.common.retry import with_retries
from application.common.stored_topics import topics_of
from application.users.password_rule import SAME_AS_BEFORE, WRONG_CURRENT, WeakPassword, Words, check_password
from application.users.views import UserView
from domain.shared.text import is_storable_text
from domain.shared.values import Actor, Role
from domain.users.aggregate import AdminGuard, User, canonical_username, is_allowed_new_username

MAX_USERNAME_LENGTH = 64
CHANGED_OWN_PASSWORD = "changed their own password"
USERNAME_RULE = Words(f"only a-z, 0-9, '.', '_' and '-', starting with a letter or digit, at most "
                      f"{MAX_USERNAME_LENGTH} characters",
                      f"用户名只能使用 a-z、0-9、“.”、“_”和“-”，以字母或数字开头，最多 {MAX_USERNAME_LENGTH} 个字符")


class PasswordHasher(Protocol):
    """Hashes passwords (infrastructure supplies Argon2)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class Sessions(Protocol):
    """The UI sessions kept on the server (infrastructure supplies a table)."""

    def end_all(self, username: str) -> int: ...


class UsersApplication(OneThingApplication):
    """The people who use OneThing, their roles and departments."""

    name = "Users"

    def __init__(
        self, env: dict[str, str] | None = None, *, hasher: PasswordHasher,
        known_departments: Callable[[], Iterable[str]], is_common_password: Callable[[str], bool],
        sessions: Sessions | None = None, clock: Clock | None = None,
    ):
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.hasher = hasher
        self.known_departments = known_departments
        self.is_common_password = is_common_password
        self.sessions = sessions

    def add_user(
        self, actor: Actor, username: str, password: str, role: str, department: str | None = None,
        display_name: str = "",
    ) -> UserView:
        """Create a user with a role (and the department a reviewer belongs to); admins only."""
        if actor.role != Role.ADMIN:
            raise NotAllowed("creating users is for admins")
        self.check_new_user(username, password, role, department, display_name)
        user = User.register(username, Role(role), department or None,
                             self.hasher.hash(password), actor, display_name)
        try:
            self.save(user)
        except IntegrityError:
            raise AlreadyExists(f"user {username!r} exists already") from None
        return UserView.of(user)

    def check_new_user(self, username: str, password: str, role: str, department: str | None,
                       display_name: str = "") -> None:
        """Raise ``InvalidInput`` (or ``AlreadyExists``) unless a new user may be made so."""
        problems: dict[str, list[str]] = {}
        if not isinstance(username, str) or not isinstance(display_name, str) or not username.strip() \
                or username != username.strip() or not is_storable_text(username + display_name):
            problems["username"] = ["a username is required, without surrounding spaces"]
        elif len(username) > MAX_USERNAME_LENGTH:
            problems["username"] = [f"at most {MAX_USERNAME_LENGTH} characters"]
        if role not in {r.value for r in Role}:
            problems["role"] = [f"one of {', '.join(r.value for r in Role)}"]
        elif role == Role.REVIEWER and not department:
            problems["department"] = ["a reviewer belongs to a department"]
        if department and department not in set(self.known_departments()):
            problems["department"] = [f"unknown department {department!r}"]
        if problems:
            field, messages = next(iter(problems.items()))
            raise InvalidInput(f"{field}: {messages[0]}", problems)
        canonical = canonical_username(username)
        taken = next((name for name, _ in self._registered() if canonical_username(name) == canonical), None)
        if taken is not None:
            raise AlreadyExists(f"user {username!r} exists already" if taken == username
                                else f"{username!r} looks the same as the existing user {taken!r}")
        if username != canonical:
            raise InvalidInput(f"username: write it as {canonical!r} (lower case, normal width)",
                               {"username": [f"write it as {canonical!r} (lower case, normal width)"]})
        if not is_allowed_new_username(username):
            raise InvalidInput(f"username: {USERNAME_RULE}", {"username": [str(USERNAME_RULE)]})
        check_password(password, username, self.is_common_password)

    def view(self, username: str) -> UserView:
        """The user with ``username`` as pages and the API show it (``UserNotFound`` if there is none)."""
        return UserView.of(self.user(username))

    def user(self, username: str) -> User:
        """Return the user with ``username`` (as stored, or in its canonical form)."""
        for name in dict.fromkeys((username, canonical_username(username) if isinstance(username, str) else "")):
            try:
                return self.repository.get(User.create_id(name))
            except AggregateNotFoundError:
                continue
        raise UserNotFound(f"no user {username!r}")

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
        """Return the actor for a correct username and password, else None (also for a disabled user, a
        revoked agent or one past its last day).

        Every attempt verifies one Argon2 hash — a stand-in for an unknown or disabled user — so the time
        an answer takes does not tell whether the user exists.
        """
        try:
            user: User | None = self.user(username)
        except UserNotFound:
            user = None
        usable = user is not None and user.may_sign_in(self.clock.today())
        password_hash = user.password_hash if usable and user else self._stand_in_hash
        matches = self.hasher.verify(password_hash, password if isinstance(password, str) else "")
        return user.as_actor() if usable and matches and user else None

    @cached_property
    def _stand_in_hash(self) -> str:
        return self.hasher.hash(secrets.token_urlsafe(24))

    def change_password(self, actor: Actor, current_password: str, new_password: str,
                        reason: str = CHANGED_OWN_PASSWORD) -> UserView:
        """Replace the actor's own password; their UI sessions and earlier API tokens end."""
        user = self.user(actor.user_id)
        if not isinstance(current_password, str) or not self.hasher.verify(user.password_hash, current_password):
            raise WeakPassword("current_password", WRONG_CURRENT)
        check_password(new_password, user.username, self.is_common_password, field="new_password")
        if new_password == current_password:
            raise WeakPassword("new_password", SAME_AS_BEFORE)
        user.change_password(self.hasher.hash(new_password), actor, reason)
        self.save(user)
        self._end_sessions(user.username)
        return UserView.of(user)

    def disable(self, actor: Actor, username: str, reason: str) -> UserView:
        """Stop ``username`` from signing in (admins; not oneself, not the last enabled admin).

        Their tokens and UI sessions stop working at once. Disabling an admin also writes the one
        ``AdminGuard``, read before the admins are counted: of two such changes at once, one fails to save
        and counts again.
        """
        if actor.role != Role.ADMIN:
            raise NotAllowed("managing users is for admins")

        def attempt() -> User:
            guard = self._admin_guard(actor)
            user = self.user(username)
            if user.role != Role.ADMIN or user.disabled:
                user.disable(actor, reason, enabled_admins=0)
                self.save(user)
                return user
            user.disable(actor, reason, enabled_admins=self._enabled_admins())
            guard.note_disabled(user.username, actor, reason)
            self.save(user, guard)
            return user

        user = with_retries(attempt, lambda: None, f"disabling {username!r}")
        self._end_sessions(user.username)
        return UserView.of(user)

    def _admin_guard(self, actor: Actor) -> AdminGuard:
        try:
            return self.repository.get(AdminGuard.create_id())
        except AggregateNotFoundError:
            return AdminGuard.start(actor)

    def enable(self, actor: Actor, username: str, reason: str) -> UserView:
        """Let ``username`` sign in again (admins only)."""
        return UserView.of(self._admin_change(actor, username, lambda user: user.enable(actor, reason)))

    def _admin_change(self, actor: Actor, username: str, change: Callable[[User], None]) -> User:
        """Change a user on a fresh load; a change that another one overtook is tried again on the new state
        (where it may then be refused as done already), never answered with a server error."""
        if actor.role != Role.ADMIN:
            raise NotAllowed("managing users is for admins")

        def attempt() -> User:
            user = self.user(username)
            change(user)
            self.save(user)
            return user

        return with_retries(attempt, lambda: None, f"changing {username!r}")

    def _end_sessions(self, username: str) -> None:
        if self.sessions is not None:
            self.sessions.end_all(username)

    def _enabled_admins(self) -> int:
        admins = (name for name, role in self._registered() if role == Role.ADMIN)
        return sum(not self.user(name).disabled for name in admins)

    def _registered(self, page: int = 500) -> Iterator[tuple[str, str]]:
        """Every user's name and role as registered (tokens share the store: read the registrations only)."""
        topics, start = list(topics_of(User.Registered)), None
        while True:
            notifications = self.recorder.select_notifications(start, page, topics=topics,
                                                               inclusive_of_start=False)
            for notification in notifications:
                event = self.mapper.to_domain_event(notification)
                yield event.username, str(event.role)  # type: ignore[attr-defined]
            if len(notifications) < page:
                return
            start = notifications[-1].id
