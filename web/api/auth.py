"""Signing in and out of the API, and changing one's own password."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from application.users.sign_in import TooManySignIns
from application.users.tokens import IssuedToken
from domain.shared.values import Actor
from web.api.core import actor, services
from web.api.limits import SIGN_IN_LIMIT, limiter, sign_in_limits_on, too_many
from web.api.schemas import ErrorOut, MeOut, Strict, TokenOut, TokenRequest

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens")


class PasswordChangeRequest(Strict):
    """The signed-in user's current password and the new one (the password rule applies)."""

    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TotpCode(Strict):
    """A code the authenticator app shows, and the account's password."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TotpDisableRequest(TotpCode):
    """The password and a code: both are needed to turn two-step sign-in off."""

    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TotpStateOut(Schema):
    totp_enabled = fields.Boolean(metadata={"description": "whether signing in needs a one-time code"})


class TotpEnrolmentOut(Schema):
    secret = fields.String(metadata={"description": "to type into an authenticator app; shown once"})
    uri = fields.String(metadata={"description": "otpauth:// URI, for a QR code"})


def _token(issued: IssuedToken) -> dict[str, Any]:
    return {"token": issued.token, "expires_at": issued.expires_at, **_me(issued.actor)}


def _me(who: Actor) -> dict[str, Any]:
    user = services().users.view(who.user_id)
    me: dict[str, Any] = {"username": who.user_id, "role": str(who.role), "department": who.department}
    if user.enterprise is not None:  # an applicant: its enterprise, and what an agent may do
        me.update(enterprise=user.enterprise, kind=user.kind, until=user.until,
                  bundles=list(user.bundles) if user.bundles is not None else None)
    return me


@blp.post("/token")
@limiter.limit(SIGN_IN_LIMIT)
@blp.arguments(TokenRequest)
@blp.response(200, TokenOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many failed sign-ins (header Retry-After)")
def sign_in(body: dict[str, Any]) -> dict[str, Any] | Response:
    """Exchange a username and password (and the one-time code, where the account has two-step sign-in) for a
    bearer token (with its expiry); 401 ``otp_required`` when only the code is missing."""
    try:
        issued = services().tokens.sign_in(body["username"], body["password"], request.remote_addr or "",
                                           sign_in_limits_on(), otp=body.get("otp"))
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
    return _me(actor())


@blp.post("/totp")
@blp.response(200, TotpEnrolmentOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(409, schema=ErrorOut, description="Two-step sign-in is on already (totp_enabled)")
def totp_enrol() -> dict[str, Any]:
    """Start two-step sign-in: a new secret and its otpauth URI (off until confirmed with a code)."""
    enrolment = services().two_factor.enrol(actor())
    return {"secret": enrolment.secret, "uri": enrolment.uri}


@blp.post("/totp/confirm")
@blp.arguments(TotpCode)
@blp.response(200, TotpStateOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many wrong passwords or codes (header Retry-After)")
def totp_confirm(body: dict[str, Any]) -> dict[str, Any] | Response:
    """Turn two-step sign-in on with the password and a code of the enrolled secret: signing in now needs a code."""
    try:  # a wrong password or code counts like a failed sign-in of this account
        services().sign_ins.confirm_totp(actor(), body["password"], body["code"], request.remote_addr or "",
                                         sign_in_limits_on())
    except TooManySignIns as error:
        return too_many(error)
    return {"totp_enabled": True}


@blp.post("/totp/disable")
@blp.arguments(TotpDisableRequest)
@blp.response(200, TotpStateOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(422, schema=ErrorOut)
@blp.alt_response(429, schema=ErrorOut, description="Too many wrong passwords or codes (header Retry-After)")
def totp_disable(body: dict[str, Any]) -> dict[str, Any] | Response:
    """Turn two-step sign-in off (the password and a fresh code)."""
    who = actor()
    try:  # a wrong password or code counts like a failed sign-in of this account
        services().sign_ins.disable_totp(who, body["password"], body["code"], request.remote_addr or "",
                                         sign_in_limits_on())
    except TooManySignIns as error:
        return too_many(error)
    return {"totp_enabled": False}
