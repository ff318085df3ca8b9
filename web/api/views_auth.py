"""Signing in and out of the API."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint

from web.api.core import actor, services
from web.api.limits import SIGN_IN_LIMIT, limiter
from web.api.schemas import ErrorOut, MeOut, TokenOut, TokenRequest

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens")


@blp.post("/token")
@limiter.limit(SIGN_IN_LIMIT)
@blp.arguments(TokenRequest)
@blp.response(200, TokenOut)
@blp.alt_response(401, schema=ErrorOut)
def sign_in(body: dict[str, Any]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token (with its expiry)."""
    issued = services().tokens.sign_in(body["username"], body["password"])
    return {"token": issued.token, "expires_at": issued.expires_at, "username": issued.actor.user_id,
            "role": str(issued.actor.role), "department": issued.actor.department}


@blp.post("/revoke")
@blp.response(204)
@blp.alt_response(401, schema=ErrorOut)
def sign_out() -> None:
    """Revoke the token this request presents."""
    who = actor()  # authenticates, and remembers the presented token in g
    services().tokens.revoke(g.token, who)


@blp.get("/me")
@blp.response(200, MeOut)
@blp.alt_response(401, schema=ErrorOut)
def me() -> dict[str, Any]:
    """Who this token belongs to."""
    who = actor()
    return {"username": who.user_id, "role": str(who.role), "department": who.department}
