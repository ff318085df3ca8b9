"""Applicants: enterprises registering online (网上办) and their agents (经办人); the vault (数字保险箱) of an
enterprise — every file it submitted, every e-licence issued to it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from application.applicants.views import AgentView
from web.api.core import actor, error_docs, services
from web.api.schemas import Strict
from web.public_limits import registration

blp = Blueprint("applicants", __name__, url_prefix="/applicants", description="Applicants and their vaults")


class RegisterRequest(Strict):
    credit_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    enterprise_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    representative_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    username = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    email = fields.String(validate=validate.Length(max=254), load_default=None, allow_none=True)
    phone = fields.String(validate=validate.Length(max=32), load_default=None, allow_none=True)


class EnterpriseOut(Schema):
    credit_code = fields.String()
    name = fields.String()
    representative = fields.String()


class AgentRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    bundles = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=None,
                          allow_none=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "bundle codes; left out or null: every bundle"})
    until = fields.Date(required=True, metadata={"description": "the agent's last day (inclusive), ISO date"})
    display_name = fields.String(validate=validate.Length(max=200), load_default="")
    email = fields.String(validate=validate.Length(max=254), load_default=None, allow_none=True)
    phone = fields.String(validate=validate.Length(max=32), load_default=None, allow_none=True)


class RevokeRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AgentOut(Schema):
    username = fields.String()
    bundles = fields.List(fields.String(), allow_none=True)
    until = fields.Date()
    revoked = fields.Boolean()
    active = fields.Boolean(metadata={"description": "may act today: not revoked and not past its last day"})


def _agent(agent: AgentView) -> dict[str, Any]:
    return {"username": agent.username, "bundles": list(agent.bundles) if agent.bundles is not None else None,
            "until": agent.until, "revoked": agent.revoked, "active": agent.active}


@blp.post("/register")
@registration()
@blp.arguments(RegisterRequest)
@blp.response(201, EnterpriseOut)
@error_docs(blp, (409, 422, 429))
def register(body: dict[str, Any]) -> dict[str, Any]:
    """Register an enterprise with its legal representative's account (no token; 409 representative_exists
    when the enterprise registered before)."""
    enterprise = services().accounts.register_enterprise(
        body["credit_code"], body["enterprise_name"], body["representative_name"], body["username"],
        body["password"], email=body["email"], phone=body["phone"])
    return {"credit_code": enterprise.credit_code, "name": enterprise.name,
            "representative": enterprise.representative}


@blp.post("/agents")
@blp.arguments(AgentRequest)
@blp.response(201, AgentOut)
@error_docs(blp, (401, 403, 409, 422))
def authorise_agent(body: dict[str, Any]) -> dict[str, Any]:
    """Authorise an agent (经办人) of your enterprise for some bundles or all, until a date (representative)."""
    return _agent(services().accounts.authorise_agent(
        actor(), body["username"], body["password"], body["bundles"], body["until"],
        display_name=body["display_name"], email=body["email"], phone=body["phone"]))


@blp.get("/agents")
@blp.response(200, AgentOut(many=True))
@error_docs(blp, (401, 403))
def agents() -> list[dict[str, Any]]:
    """Your enterprise's agents, revoked ones too (representative)."""
    return [_agent(agent) for agent in services().accounts.agents(actor())]


@blp.post("/agents/<string:username>/revoke")
@blp.arguments(RevokeRequest)
@blp.response(200, AgentOut)
@error_docs(blp, (401, 403, 404))
def revoke_agent(body: dict[str, Any], username: str) -> dict[str, Any]:
    """Revoke an agent: it cannot sign in any more, and its tokens and sessions end at once (representative)."""
    return _agent(services().accounts.revoke_agent(actor(), username, body["reason"]))


class VaultFileOut(Schema):
    key = fields.String()
    name = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    first_case = fields.String()
    last_used = fields.DateTime()


class VaultLicenceOut(Schema):
    number = fields.String()
    type = fields.String()
    name = fields.String()
    issuer = fields.String()
    issued_on = fields.Date()
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True, metadata={"description": "null: long-term (长期)"})
    status = fields.String(metadata={"description": "valid or revoked (void certificates were never the holder's)"})
    valid_now = fields.Boolean()


class VaultOut(Schema):
    materials = fields.List(fields.Nested(VaultFileOut))
    licences = fields.List(fields.Nested(VaultLicenceOut))


@blp.get("/<string:credit_code>/vault")
@blp.response(200, VaultOut)
@error_docs(blp, (401, 403))
def vault(credit_code: str) -> dict[str, Any]:
    """Every file the enterprise ever submitted and every e-licence issued to it, with validity (intake,
    supervisors, auditors)."""
    return services().materials.vault_of(actor(), credit_code.strip().upper())
