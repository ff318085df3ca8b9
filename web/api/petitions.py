"""Petitions (诉求): submit, list, read, and the loop's commands (route, answer, escalate, return visit …)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE

from application.common.changes import Saved
from application.common.idempotency import Earlier
from application.petitions.views import PetitionView
from web.api.core import actor, error_docs, if_match, services
from web.api.idempotency import idempotent
from web.api.schemas import ErrorOut, ReasonRequest
from web.api.schemas_petitions import (
    AnswerRequest,
    PetitionFiguresOut,
    PetitionListArgs,
    PetitionOut,
    PetitionPageOut,
    RerouteRequest,
    ReturnVisitRequest,
    RouteRequest,
    SubmitPetitionRequest,
)

blp = Blueprint("petitions", __name__, url_prefix="/petitions", description="Petitions (诉求) from enterprises")
ERRORS = (400, 401, 403, 404, 409, 422)


_document_errors = error_docs(blp, ERRORS)


def _write(status: int) -> Any:
    """Document a write's answer: the petition after it, with its version as ETag."""
    return blp.alt_response(status, schema=PetitionOut, description="the petition after the write (ETag: its version)")


def petition_json(petition: PetitionView) -> dict[str, Any]:
    """A petition as the API returns it."""
    return {
        "id": petition.id, "number": petition.number, "version": petition.version, "status": str(petition.status),
        "enterprise": petition.enterprise, "subject": petition.subject, "text": petition.text,
        "channel": petition.channel, "related_case": petition.related_case, "submitted_on": petition.submitted_on,
        "submitted_at": petition.created_on, "submitted_by": petition.submitted_by,
        "department": petition.department, "time_limit_days": petition.time_limit_days,
        "routed_on": petition.routed_on, "due": petition.due, "due_provisional": petition.due_provisional,
        "round": petition.round, "level": petition.level, "answer": petition.answer_text,
        "answers": list(petition.answers), "escalations": list(petition.escalations), "visits": list(petition.visits),
        "closed_on": petition.closed_on,
    }


def petition_response(saved: Saved, status: int = 200) -> Response:
    """The petition exactly as a write left it, with its version as ETag (and Location when created)."""
    petition = services().petitions.as_saved(saved.id, saved.version)
    response = jsonify(PetitionOut().dump(petition_json(petition)))
    response.status_code = status
    response.headers["ETag"] = f'"{petition.version}"'
    if status == 201:
        response.headers["Location"] = url_for("petitions.read_petition", number=petition.number)
    return response


def _keyed(status: int) -> Any:
    """Honour ``Idempotency-Key``: a repeat gets the petition as the first write left it, with its status."""
    return idempotent(lambda earlier, status, *_, **__: petition_response(_saved_of(earlier), status), status)


def _saved_of(earlier: Earlier) -> Saved:
    """What a repeated request's first write returned (its answer's consistency token names that write)."""
    return services().petitions.saved_of(earlier)


def _answer(saved: Saved, status: int = 200) -> Response:
    """The petition after a write."""
    return petition_response(saved, status)


@blp.post("")
@blp.arguments(SubmitPetitionRequest)
@_write(201)
@_document_errors
@_keyed(201)
def submit(body: dict[str, Any]) -> Response:
    """Receive an enterprise's petition (提报, intake); it waits for a supervisor to route it."""
    enterprise = body["enterprise"]
    return _answer(services().petitions.submit(
        actor(), enterprise["name"], enterprise["credit_code"], body["subject"], body["text"], body["channel"],
        related_case=body["related_case"], reason=body["reason"]), 201)


@blp.get("")
@blp.arguments(PetitionListArgs, location="query", unknown=RAISE)
@blp.response(200, PetitionPageOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def list_petitions(args: dict[str, Any]) -> dict[str, Any]:
    """Petitions by status and department, with counts (reviewers see those their department holds)."""
    return services().petition_queries.petition_list(actor(), **args)


@blp.get("/figures")
@blp.response(200, PetitionFiguresOut)
@blp.alt_response(401, schema=ErrorOut)
@blp.alt_response(403, schema=ErrorOut)
def figures() -> dict[str, Any]:
    """Answered on time, average rating, satisfied, escalated, reopened: over all and per department."""
    return services().petition_queries.figures(actor())


@blp.get("/<string:number>")
@blp.response(200, PetitionOut)
@_document_errors
def read_petition(number: str) -> Response:
    """The petition now (intake, supervisors, auditors, admins; reviewers of the department holding it)."""
    petition = services().petitions.get_petition(actor(), number)
    response = jsonify(PetitionOut().dump(petition_json(petition)))
    response.headers["ETag"] = f'"{petition.version}"'
    return response


@blp.post("/<string:number>/route")
@blp.arguments(RouteRequest)
@_write(200)
@_document_errors
@_keyed(200)
def route(body: dict[str, Any], number: str) -> Response:
    """Send the petition to a department with an answer time limit in working days (流转, supervisor)."""
    return _answer(services().petitions.route(actor(), number, body["department"], body["time_limit_days"],
                                              body["reason"], if_match()))


@blp.post("/<string:number>/reroute")
@blp.arguments(RerouteRequest)
@_write(200)
@_document_errors
@_keyed(200)
def reroute(body: dict[str, Any], number: str) -> Response:
    """Pass the petition to another department (转办, supervisor); the due date stays."""
    return _answer(services().petitions.reroute(actor(), number, body["department"], body["reason"], if_match()))


@blp.post("/<string:number>/answer")
@blp.arguments(AnswerRequest)
@_write(200)
@_document_errors
@_keyed(200)
def answer(body: dict[str, Any], number: str) -> Response:
    """Answer the petition (反馈; reviewers of the department holding it)."""
    return _answer(services().petitions.answer(actor(), number, body["answer"], body["reason"], if_match()))


@blp.post("/<string:number>/escalate")
@blp.arguments(ReasonRequest)
@_write(200)
@_document_errors
@_keyed(200)
def escalate(body: dict[str, Any], number: str) -> Response:
    """Take the unanswered petition a supervision level up (督办, 提级督办; supervisor)."""
    return _answer(services().petitions.escalate(actor(), number, body["reason"], if_match()))


@blp.post("/<string:number>/return-visit")
@blp.arguments(ReturnVisitRequest)
@_write(200)
@_document_errors
@_keyed(200)
def return_visit(body: dict[str, Any], number: str) -> Response:
    """Record the return visit and rating (回访, 好差评; intake, supervisor): closes it, or re-opens it once
    for a second answer after a rating of 1 or 2."""
    return _answer(services().petitions.return_visit(actor(), number, body["rating"], body["satisfied"],
                                                     body["comment"], body["reason"], if_match()))


@blp.post("/<string:number>/close")
@blp.arguments(ReasonRequest)
@_write(200)
@_document_errors
@_keyed(200)
def close(body: dict[str, Any], number: str) -> Response:
    """Close the petition before its loop ends, with the reason (supervisor)."""
    return _answer(services().petitions.close_petition(actor(), number, body["reason"], if_match()))
