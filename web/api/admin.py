"""User administration (admins)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from application.users.views import UserView
from web.api.core import actor, services
from web.api.idempotency import idempotent
from web.api.schemas import ErrorOut, ReasonRequest, UserOut, UserRequest

blp = Blueprint("users", __name__, url_prefix="/users", description="User administration (admins)")


def _keyed(status: int) -> Any:
    """Honour ``Idempotency-Key``: a repeat gets the user named by the request, as it is now, with its status."""
    return idempotent(lambda earlier, status, body, username=None: _user(
        services().users.view(username or body["username"])), status)


def _user(user: UserView) -> dict[str, Any]:
    return {"username": user.username, "role": str(user.role), "department": user.department,
            "display_name": user.display_name, "disabled": user.disabled}


@blp.post("")
@blp.arguments(UserRequest)
@blp.response(201, UserOut)
@blp.alt_response(403, schema=ErrorOut)
@blp.alt_response(409, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
@_keyed(201)
def add_user(body: dict[str, Any]) -> dict[str, Any]:
    """Create a user: a new name in lower case and normal width, unlike every other; a password of the rule."""
    return _user(services().users.add_user(actor(), body["username"], body["password"], body["role"],
                                           body["department"], body["display_name"]))


@blp.post("/<string:username>/disable")
@blp.arguments(ReasonRequest)
@blp.response(200, UserOut)
@blp.alt_response(403, schema=ErrorOut)
@blp.alt_response(404, schema=ErrorOut)
@blp.alt_response(409, schema=ErrorOut, description="Yourself, or the last enabled admin")
@_keyed(200)
def disable(body: dict[str, Any], username: str) -> dict[str, Any]:
    """Stop a user from signing in (not yourself, not the last enabled admin); their tokens and sessions end."""
    return _user(services().users.disable(actor(), username, body["reason"]))


@blp.post("/<string:username>/enable")
@blp.arguments(ReasonRequest)
@blp.response(200, UserOut)
@blp.alt_response(403, schema=ErrorOut)
@blp.alt_response(404, schema=ErrorOut)
@_keyed(200)
def enable(body: dict[str, Any], username: str) -> dict[str, Any]:
    """Let a user sign in again."""
    return _user(services().users.enable(actor(), username, body["reason"]))
