"""Notifications (通知): an applicant's inbox, and the e-mail and SMS deliveries supervisors watch and retry."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.notifications.queries import DELIVERY_STATES
from web.api.core import actor, error_docs, services
from web.api.schemas import Strict

blp = Blueprint("notifications", __name__, description="Notifications to applicants and their deliveries")
STATES = ["", *DELIVERY_STATES]


class PageArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class DeliveryArgs(PageArgs):
    state = fields.String(load_default="", validate=validate.OneOf(STATES))


class RetryRequest(Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class ChannelStateOut(Schema):
    channel = fields.String(metadata={"description": "inbox, email or sms"})
    state = fields.String(metadata={"description": "pending, sending, sent, retrying or failed"})
    attempts = fields.Integer()


class NotificationOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "accepted, returned, supplement_requested, decided, "
                                                  "licences_ready or rating_invited"})
    case = fields.String(metadata={"description": "the case number"})
    text = fields.String(metadata={"description": "in Chinese"})
    text_en = fields.String()
    template = fields.String()
    template_version = fields.Integer()
    created_at = fields.DateTime()
    deliveries = fields.List(fields.Nested(ChannelStateOut))


class NotificationPageOut(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DeliveryOut(Schema):
    id = fields.String()
    notification = fields.String()
    kind = fields.String()
    case_number = fields.String()
    credit_code = fields.String()
    channel = fields.String()
    recipient = fields.String(metadata={"description": "the applicant's username"})
    address = fields.String(metadata={"description": "masked"})
    state = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String()
    queued_at = fields.DateTime()
    updated_at = fields.DateTime()


class DeliveryPageOut(Schema):
    items = fields.List(fields.Nested(DeliveryOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class RetriedOut(Schema):
    id = fields.String()
    channel = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)


def _page(page: Any) -> dict[str, Any]:
    return {"items": page.rows, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.get("/me/notifications")
@blp.arguments(PageArgs, location="query", unknown=RAISE)
@blp.response(200, NotificationPageOut)
@error_docs(blp, (401, 403))
def my_notifications(args: dict[str, Any]) -> dict[str, Any]:
    """What the caller's enterprise was told about its cases, newest first, with each channel's delivery state
    (applicants)."""
    return _page(services().notification_queries.inbox(actor(), args["page"], args["per_page"]))


@blp.get("/notifications/deliveries")
@blp.arguments(DeliveryArgs, location="query", unknown=RAISE)
@blp.response(200, DeliveryPageOut)
@error_docs(blp, (401, 403))
def deliveries(args: dict[str, Any]) -> dict[str, Any]:
    """E-mail and SMS deliveries, ``?state=failed`` or ``retrying`` …, the latest changed first (supervisors,
    auditors)."""
    return _page(services().notification_queries.deliveries(actor(), args["state"], args["page"], args["per_page"]))


@blp.post("/notifications/deliveries/<string:delivery_id>/retry")
@blp.arguments(RetryRequest)
@blp.response(200, RetriedOut)
@error_docs(blp, (401, 403, 404, 409, 422))
def retry(args: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    """Try a failed delivery again now (supervisors); the next notifier pass sends it."""
    s = services()
    return s.notifications.retry(actor(), delivery_id, args["reason"], s.clock.now())
