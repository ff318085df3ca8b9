"""Who is signed in to the UI (Flask-Login), and the ``requires`` decorator that guards pages.

The session cookie holds the username, the time of signing in and a keyed fingerprint of the password
hash (never the hash itself). Every request reloads the user from the Users event store: a disabled
user, a changed password, a user disabled (even if enabled again) after signing in, or a sign-in older
than ``ONETHING_TOKEN_HOURS`` ends the session.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, make_response, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from application.errors import UserNotFound
from domain.users import User
from domain.values import Actor, Role
from web.ui.errors import error_page
from web.ui.urls import is_htmx, same_site_path, services

F = TypeVar("F", bound=Callable[..., Any])
SIGNED_IN_AT, PASSWORD_MARK = "signed_in_at", "password_mark"

login_manager = LoginManager()


class SessionUser(UserMixin):
    """A signed-in user: the actor every command needs, and the words the header shows."""

    def __init__(self, actor: Actor, display_name: str):
        self.actor, self.display_name = actor, display_name

    def get_id(self) -> str:
        return self.actor.user_id

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


def load_user(username: str) -> SessionUser | None:
    """The user of this session, if the session still stands (see the module's docstring)."""
    try:
        user = services().users.user(username)
    except UserNotFound:
        return None
    if user.disabled or not hmac.compare_digest(session.get(PASSWORD_MARK, ""), _password_mark(user)):
        return None
    since = session.get(SIGNED_IN_AT, 0.0)
    now = datetime.now(UTC).timestamp()
    if user.tokens_valid_after is not None and since <= user.tokens_valid_after.timestamp():
        return None
    if now - since > services().settings.token_hours * 3600:
        return None
    return SessionUser(user.as_actor(), user.display_name)


def sign_in(username: str, password: str) -> bool:
    """Check the password and start a fresh session (keeping only the chosen language)."""
    actor = services().users.authenticate(username, password)
    if actor is None:
        return False
    user = services().users.user(username)
    language = session.get("lang")
    session.clear()  # no session fixation: nothing from before signing in carries over
    if language:
        session["lang"] = language
    # Real time, not the services' clock: it is compared with event timestamps, which the system clock stamps.
    session[SIGNED_IN_AT] = datetime.now(UTC).timestamp()
    session[PASSWORD_MARK] = _password_mark(user)
    return bool(login_user(SessionUser(actor, user.display_name)))


def sign_out() -> None:
    """End the session (keeping the chosen language)."""
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language


def current_actor() -> Actor:
    """The actor of the signed-in user (use inside views guarded by ``requires``)."""
    return current_user.actor  # type: ignore[no-any-return]


def requires(*roles: Role | str) -> Callable[[F], F]:
    """Guard a view: anonymous users go to the sign-in page (``next=`` this page), other roles get 403.

    With no roles, any signed-in user may open the page.
    """
    allowed = frozenset(str(role) for role in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _to_sign_in()
            if allowed and str(current_user.role) not in allowed:
                return error_page(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _to_sign_in() -> Any:
    target = request.full_path if request.query_string else request.path
    if is_htmx():  # a fragment request: htmx should load the whole sign-in page, not swap it into a box
        target = same_site_path(request.headers.get("HX-Current-URL")) or target
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("ui.login", next=target)
        return response
    return redirect(url_for("ui.login", next=target))


def _password_mark(user: User) -> str:
    key = str(current_app.secret_key or "").encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]
