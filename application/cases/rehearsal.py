"""The desk's opening of a case, rehearsed: the very command the desk will run (open, record each material
received, accept with deficiency: ``application.cases.intake.opened_case``) on a case built in memory and never
saved, so the domain's own rules have their say before anything is stored and a refused form leaves no case
behind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from application.cases.applicants import check_applicant, check_channel, new_case_number
from application.cases.intake import Deficiency, MaterialReceived, opened_case
from domain.catalogue.definitions import BundleDef
from domain.shared.values import Actor


def rehearse_opening(
    bundle: BundleDef, version: int, applicant_name: str, credit_code: str, channel: str, reason: str,
    actor: Actor, today: date, materials: Sequence[MaterialReceived] = (), deficiency: Deficiency | None = None,
    answers: dict[str, Any] | None = None,
) -> None:
    """Raise what opening this case would meet (a ``DomainError`` or ``ApplicationError``)."""
    opened_case(new_case_number(today), bundle, version, check_applicant(applicant_name, credit_code),
                check_channel(channel), today, actor, reason, materials, deficiency, answers)
