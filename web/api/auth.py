"""Signing in and out of the API, and changing one's own password."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from application.users.sign_in import TooManySignIns
from application.users.tokens import IssuedToken
from web.api.core import actor, services
from web.api.limits import SIGN_IN_LIMIT, limiter, sign_in_limits_on, too_many
from web.api.schemas import ErrorOut, MeOut, Strict, TokenOut, TokenRequest

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens")


class PasswordChangeRequest(Strict):
    """The signed-in user's current password and the new one (the password rule applies)."""

    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


def _token(issued: IssuedToken) -> dict[str, Any]:
    return {"token": issued.token, "expires_at": issued.expires_at, "username": issued.actor.user_id,
            "role": str(issued.actor.role), "department": issued.actor.department}


@blp.post("/token")
@limiter.limit(SIGN_IN_LIMIT)
@blp.arguments(TokenRequest)
@blp.response(200, TokenOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many failed sign-ins (header Retry-After)")
def sign_in(body: dict[str, Any]) -> dict[str, Any] | Response:
    """Exchange a username and password for a bearer token (with its expiry)."""
    try:
        issued = services().tokens.sign_in(body["username"], body["password"], request.remote_addr or "",
                                           sign_in_limits_on())
    except TooManySignIns as error:
        return too_many(error)
    return _token(issued)


@blp.post("/password")
@blp.arguments(PasswordChangeRequest)
@blp.response(200, TokenOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many wrong passwords (header Retry-After)")
def change_password(body: dict[str, Any]) -> dict[str, Any] | Response:
    """Change your own password: your UI sessions and every token issued before end; answer a fresh token."""
    who = actor()
    try:  # a wrong current password counts like a failed sign-in of this account
        services().sign_ins.change_password(who, body["current_password"], body["new_password"],
                                            request.remote_addr or "", sign_in_limits_on())
    except TooManySignIns as error:
        return too_many(error)
    return _token(services().tokens.issue(who))


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
