"""Who is signed in to the UI (Flask-Login), and the ``requires`` decorator that guards pages.

Sessions are kept on the server (``infrastructure.accounts.sessions``): the cookie carries only a random session
id, the database the SHA-256 of it. A session ends, in every process at once, when its row is gone —
signing out, a password change, disabling the user — or when it was idle longer than
``ONETHING_SESSION_IDLE_MINUTES``. Every request also reloads the user from the Users event store: a
disabled user, a password changed or a user disabled (even if enabled again) after the session began,
or a session older than ``ONETHING_TOKEN_HOURS`` ends it too. The last use is written at most once a
minute (``TOUCH_EVERY``), so a session may end up to a minute before its idle time counted from the last
request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, ParamSpec

from flask import Flask, make_response, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from application.common.errors import UserNotFound
from application.users.views import UserView
from domain.shared.values import Actor, Role
from web.api.limits import sign_in_limits_on
from web.ui.errors import error_page
from web.ui.request_keys import run_keyed
from web.ui.urls import is_htmx, same_site_path, services

P = ParamSpec("P")
TOUCH_EVERY = 60.0  # seconds: how stale the stored last use may be before a request writes it again

login_manager = LoginManager()


class SessionUser(UserMixin):
    """A signed-in user: the actor every command needs, the words the header shows, and the session's id."""

    def __init__(self, actor: Actor, display_name: str, session_id: str):
        self.actor, self.display_name, self.session_id = actor, display_name, session_id

    def get_id(self) -> str:
        return self.session_id  # what Flask-Login keeps in the cookie: the random id, nothing else

    @property
    def role(self) -> Role:
        return self.actor.role

    @property
    def department(self) -> str | None:
        return self.actor.department


def init_session(app: Flask) -> None:
    """Sign users in with Flask-Login; anonymous users of a guarded page go to the sign-in page."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_to_sign_in)


def load_user(session_id: str) -> SessionUser | None:
    """The user of this session, if the session still stands (see the module's docstring)."""
    store, settings = services().sessions, services().settings
    row = store.find(session_id) if isinstance(session_id, str) and session_id else None
    if row is None:
        return None
    now, user = _now(), _user(row.username)
    idle, age = now - row.last_seen, now - row.created_at
    if user is None or not user.may_sign_in(services().clock.today()) or idle > settings.session_idle_minutes * 60 \
            or age > settings.token_hours * 3600 \
            or (user.tokens_valid_after is not None and row.created_at <= user.tokens_valid_after.timestamp()):
        store.end(session_id)
        return None
    if idle >= TOUCH_EVERY:
        store.touch(session_id, now)
    return SessionUser(user.as_actor(), user.display_name, session_id)


def sign_in(username: str, password: str, otp: str | None = None) -> bool:
    """Check the password and, where the account has one, the one-time code (within the sign-in limits:
    ``TooManySignIns``; ``OtpRequired`` for a right password without a needed code) and start a fresh session."""
    actor = services().sign_ins.authenticate(username, password, request.remote_addr or "", sign_in_limits_on(),
                                             otp=otp)
    if actor is None:
        return False
    return start_session(services().users.view(actor.user_id))


def start_session(user: UserView) -> bool:
    """Start a new session for ``user`` in place of this one (keeping only the chosen language)."""
    language = session.get("lang")
    if current_user.is_authenticated:
        services().sessions.end(current_user.session_id)
    session.clear()  # no session fixation: nothing from before signing in carries over
    if language:
        session["lang"] = language
    settings, now = services().settings, _now()
    forget_before = now - max(settings.session_idle_minutes * 60, settings.token_hours * 3600)
    session_id = services().sessions.start(user.username, now, forget_before)
    return bool(login_user(SessionUser(user.as_actor(), user.display_name, session_id)))


def sign_out() -> None:
    """End the session here and everywhere its cookie was copied (keeping the chosen language)."""
    language = session.get("lang")
    if current_user.is_authenticated:
        services().sessions.end(current_user.session_id)
    logout_user()
    session.clear()
    if language:
        session["lang"] = language


def current_actor() -> Actor:
    """The actor of the signed-in user (use inside views guarded by ``requires``)."""
    actor: Actor = current_user.actor
    return actor


def requires(*roles: Role | str) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Guard a view: anonymous users go to the sign-in page (``next=`` this page), other roles get 403.

    With no roles, any signed-in user may open the page. A form posted with its request key runs as that
    request, so sending it again acts once (``web.ui.request_keys``).
    """
    allowed = frozenset(str(role) for role in roles)

    def decorate(view: Callable[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
            if not current_user.is_authenticated:
                return _to_sign_in()
            if allowed and str(current_user.role) not in allowed:
                return error_page(403)
            return run_keyed(current_user.actor.user_id, view, *args, **kwargs)

        return guarded

    return decorate


def _to_sign_in() -> Any:
    target = request.full_path if request.query_string else request.path
    if is_htmx():  # a fragment request: htmx should load the whole sign-in page, not swap it into a box
        target = same_site_path(request.headers.get("HX-Current-URL")) or target
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("ui.login", next=target)
        return response
    return redirect(url_for("ui.login", next=target))


def _user(username: str) -> UserView | None:
    try:
        return services().users.view(username)
    except UserNotFound:
        return None


def _now() -> float:
    # Real time, not the services' clock: it is compared with event timestamps, which the system clock stamps.
    return datetime.now(UTC).timestamp()
