"""marshmallow schemas of the petition endpoints (诉求): every request and response body."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.petition.values import MAX_SUBJECT, MAX_TIME_LIMIT_DAYS, PetitionChannel, PetitionStatus
from web.api.schemas import TEXT, Strict

REQUIRED_TEXT = validate.Length(min=1, max=2000)
DEPARTMENT = validate.Length(min=1, max=64)


# Requests ------------------------------------------------------------------------------------
class EnterpriseIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SUBJECT))
    credit_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class SubmitPetitionRequest(Strict):
    enterprise = fields.Nested(EnterpriseIn, required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SUBJECT))
    text = fields.String(required=True, validate=REQUIRED_TEXT)
    channel = fields.String(required=True, validate=validate.OneOf([c.value for c in PetitionChannel]))
    related_case = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    reason = fields.String(load_default="", validate=TEXT)


class RouteRequest(Strict):
    department = fields.String(required=True, validate=DEPARTMENT)
    time_limit_days = fields.Integer(load_default=5, strict=True,
                                     validate=validate.Range(min=1, max=MAX_TIME_LIMIT_DAYS))
    reason = fields.String(load_default="", validate=TEXT)


class RerouteRequest(Strict):
    department = fields.String(required=True, validate=DEPARTMENT)
    reason = fields.String(required=True, validate=REQUIRED_TEXT)


class AnswerRequest(Strict):
    answer = fields.String(required=True, validate=REQUIRED_TEXT)
    reason = fields.String(load_default="", validate=TEXT)


class ReturnVisitRequest(Strict):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    satisfied = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=TEXT)
    reason = fields.String(load_default="", validate=TEXT)


class PetitionListArgs(Strict):
    status = fields.String(load_default="", validate=validate.OneOf(["", *(s.value for s in PetitionStatus)]))
    department = fields.String(load_default="", validate=validate.Length(max=64))
    overdue = fields.Boolean(load_default=None, allow_none=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


# Responses -----------------------------------------------------------------------------------
class PetitionOut(Schema):
    id = fields.UUID()
    number = fields.String()
    version = fields.Integer()
    status = fields.String()
    enterprise = fields.Dict()
    subject = fields.String()
    text = fields.String()
    channel = fields.String()
    related_case = fields.String(allow_none=True)
    submitted_on = fields.Date()
    submitted_at = fields.DateTime()
    submitted_by = fields.String()
    department = fields.String(allow_none=True)
    time_limit_days = fields.Integer(allow_none=True)
    routed_on = fields.Date(allow_none=True)
    due = fields.Date(allow_none=True)
    due_provisional = fields.Boolean()
    round = fields.Integer()
    level = fields.Integer()
    answer = fields.String(allow_none=True)
    answers = fields.List(fields.Dict())
    escalations = fields.List(fields.Dict())
    visits = fields.List(fields.Dict())
    closed_on = fields.Date(allow_none=True)


class PetitionRowOut(Schema):
    number = fields.String()
    enterprise_name = fields.String()
    credit_code = fields.String(allow_none=True)
    subject = fields.String()
    channel = fields.String()
    related_case = fields.String(allow_none=True)
    status = fields.String()
    department = fields.String(allow_none=True)
    submitted_by = fields.String()
    submitted_at = fields.DateTime()
    due = fields.Date(allow_none=True)
    due_provisional = fields.Boolean()
    overdue = fields.Boolean()
    answered_on = fields.Date(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    level = fields.Integer()
    round = fields.Integer()
    rating = fields.Integer(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    version = fields.Integer()


class PetitionPageOut(Schema):
    items = fields.List(fields.Nested(PetitionRowOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class PetitionFiguresOut(Schema):
    all = fields.Dict()
    departments = fields.Dict(keys=fields.String(), values=fields.Dict())
