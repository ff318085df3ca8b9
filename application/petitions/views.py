"""What a read of one petition returns: a frozen view built from the aggregate here, so that nothing outside
``application/`` holds a ``Petition``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.petition.aggregate import Petition
from domain.petition.values import PetitionStatus


@dataclass(frozen=True)
class PetitionView:
    """A petition as it stands: who raised what, where it is, its answers, escalations and return visits."""

    id: UUID
    number: str
    version: int
    status: PetitionStatus
    enterprise: Mapping[str, Any]
    subject: str
    text: str
    channel: str
    related_case: str | None
    submitted_on: date
    created_on: datetime  # when it was submitted (its first event)
    submitted_by: str
    department: str | None
    time_limit_days: int | None
    routed_on: date | None
    due: date | None
    due_provisional: bool
    round: int
    level: int
    answer_text: str | None  # the latest answer, if there is one
    answers: tuple[Mapping[str, Any], ...]
    escalations: tuple[Mapping[str, Any], ...]
    visits: tuple[Mapping[str, Any], ...]
    closed_on: date | None


def petition_view(petition: Petition) -> PetitionView:
    """The view of ``petition`` (its own copies: the aggregate is not shared)."""
    return PetitionView(
        id=petition.id, number=petition.number, version=petition.version, status=petition.status,
        enterprise=dict(petition.enterprise), subject=petition.subject, text=petition.text,
        channel=petition.channel, related_case=petition.related_case, submitted_on=petition.submitted_on,
        created_on=petition.created_on, submitted_by=petition.submitted_by, department=petition.department,
        time_limit_days=petition.time_limit_days, routed_on=petition.routed_on, due=petition.due,
        due_provisional=petition.due_provisional, round=petition.round, level=petition.level,
        answer_text=petition.answer_text, answers=tuple(dict(a) for a in petition.answers),
        escalations=tuple(dict(e) for e in petition.escalations), visits=tuple(dict(v) for v in petition.visits),
        closed_on=petition.closed_on,
    )
