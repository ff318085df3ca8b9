"""The desk's opening of a case, rehearsed: the very commands the desk will run (open, record each material
received, accept with deficiency) on a case built in memory and never saved, so the domain's own rules have
their say before anything is stored and a refused form leaves no case behind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from application.cases.applicants import check_applicant, check_channel, new_case_number
from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef
from domain.shared.values import Actor


def rehearse_opening(
    bundle: BundleDef, version: int, applicant_name: str, credit_code: str, channel: str, reason: str,
    actor: Actor, today: date, received: Mapping[str, tuple[str, str]], excused: Sequence[str],
    supplement_due: date | None,
) -> None:
    """Raise what opening this case would meet (a ``DomainError`` or ``ApplicationError``); ``received`` maps
    each material to its file name and digest."""
    case = Case.open(number=new_case_number(today), bundle=bundle, bundle_version=version,
                     applicant=check_applicant(applicant_name, credit_code), channel=check_channel(channel),
                     opened_on=today, actor=actor, reason=reason)
    for key, (filename, sha256) in received.items():
        case.submit_material(key, filename, sha256, actor)
    if excused and supplement_due is not None:
        case.accept_with_deficiency(list(excused), supplement_due, today, actor, reason)
