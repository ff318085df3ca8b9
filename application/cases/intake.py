"""Commands of the single window: open a case, record materials, accept with deficiency, withdraw, rate."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from datetime import date

from application.cases.applicants import check_applicant, check_channel, new_case_number
from application.catalogue.application import CatalogueApplication
from application.common.access import require_own_case, require_owner_or, require_role
from application.common.changes import Changes, Saved
from application.common.clock import Clock
from application.common.errors import InvalidInput
from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef
from domain.shared.values import FOLLOW_UP_DAYS, Actor, Applicant, Channel, MaterialSource, Role
from domain.shared.working_days import IsWorkday, add_working_days

CASE_NUMBER = re.compile(r"[A-Za-z0-9-]{1,40}")  # certificate numbers are built from it


@dataclass(frozen=True)
class MaterialReceived:
    """A material handed in at the window: its file name and, if it was scanned, the scan's SHA-256 — and once
    the scan is kept in the file store, its size and media type (``stored``)."""

    key: str
    filename: str
    sha256: str | None = None
    size: int = 0
    media_type: str = ""
    source: MaterialSource = MaterialSource.UPLOAD  # of a stored file: uploaded, or reused from the vault
    licence: str = ""  # the e-licence's number, when the file is one

    @property
    def stored(self) -> bool:
        """Whether the scan is in the file store (it then has a size and a type)."""
        return self.sha256 is not None and self.size > 0


@dataclass(frozen=True)
class Deficiency:
    """Excusable materials accepted as missing when the case opens (容缺受理), due by ``supplement_due``."""

    missing: tuple[str, ...]
    supplement_due: date


def paper_digest(case_number: str, filename: str) -> str:
    """The digest recorded for a paper material without a scan: SHA-256 of the case number and the file name
    (it names that paper of that case; it says nothing of its content)."""
    return hashlib.sha256(f"{case_number}\n{filename}".encode()).hexdigest()


def opened_case(
    number: str, bundle: BundleDef, version: int, applicant: Applicant, channel: Channel, today: date,
    actor: Actor, reason: str, materials: Sequence[MaterialReceived] = (), deficiency: Deficiency | None = None,
    answers: dict[str, Any] | None = None,
) -> Case:
    """A new case (not saved) with the answers to its bundle's questions, the materials received and the
    deficiency accepted at the window; raises what the case refuses."""
    case = Case.open(number=number, bundle=bundle, bundle_version=version, applicant=applicant, channel=channel,
                     opened_on=today, actor=actor, reason=reason, answers=answers)
    for material in materials:
        if material.stored:
            assert material.sha256 is not None
            case.submit_material(material.key, material.filename, material.sha256, actor, size=material.size,
                                 media_type=material.media_type, source=material.source,
                                 licence=material.licence, today=today)
        else:
            case.submit_material(material.key, material.filename,
                                 material.sha256 or paper_digest(number, material.filename), actor, today=today)
    if deficiency is not None:
        case.accept_with_deficiency(list(deficiency.missing), deficiency.supplement_due, today, actor, reason)
    return case


class Intake:
    """What intake officers do to cases at the window (``CaseApplication.intake``)."""

    def __init__(self, changes: Changes[Case], catalogue: CatalogueApplication, clock: Clock,
                 find_actor: Callable[[str], Actor | None], is_workday: IsWorkday = lambda day: day.weekday() < 5):
        self.changes, self.catalogue, self.clock, self.find_actor = changes, catalogue, clock, find_actor
        self.is_workday = is_workday

    def open_case(
        self, actor: Actor, bundle: str, applicant_name: str, credit_code: str, channel: str,
        reason: str = "", number: str | None = None, materials: Sequence[MaterialReceived] = (),
        deficiency: Deficiency | None = None, answers: dict[str, Any] | None = None,
    ) -> Saved:
        """Open a case for the latest version of ``bundle`` with the ``answers`` to its questions; the caller
        becomes its owner. The ``materials`` received and the ``deficiency`` accepted are recorded with the
        opening — and what the bundle's rules decide on it (``CaseRules``): all in one transaction, or — if any
        is refused — nothing."""
        require_role(actor, "opening a case", Role.INTAKE)
        if number is not None and not (isinstance(number, str) and CASE_NUMBER.fullmatch(number)):
            raise InvalidInput("number: letters, digits and '-' only", {"number": ["letters, digits and '-'"]})
        applicant = check_applicant(applicant_name, credit_code)
        chosen_channel = check_channel(channel)
        definition, version = self.catalogue.definition(bundle)

        def make() -> Case:
            today = self.clock.today()
            return opened_case(number or new_case_number(today), definition, version, applicant, chosen_channel,
                               today, actor, reason, materials, deficiency, answers)

        return self.changes.create("opening a case", make, number)

    def submit_material(
        self, actor: Actor, case_id: str, key: str, filename: str, sha256: str, reason: str = "",
        expected_version: int | None = None,
    ) -> Saved:
        """Record a submitted material (by its file name and SHA-256 digest)."""
        require_role(actor, "recording materials", Role.INTAKE)
        today = self.clock.today()  # certificates waiting for this material are issued today
        return self.changes.change(
            case_id, "recording a material",
            lambda case: case.submit_material(key, filename, sha256, actor, reason, today=today), expected_version,
        )

    def accept_with_deficiency(
        self, actor: Actor, case_id: str, missing: list[str], supplement_due: date, reason: str = "",
        expected_version: int | None = None,
    ) -> Saved:
        """Accept the case although excusable materials are missing (容缺受理)."""
        require_role(actor, "accepting with deficiency", Role.INTAKE)
        return self.changes.change(
            case_id, "accepting with deficiency",
            lambda case: case.accept_with_deficiency(missing, supplement_due, self.clock.today(), actor, reason),
            expected_version,
        )

    def withdraw(self, actor: Actor, case_id: str, reason: str, expected_version: int | None = None) -> Saved:
        """Withdraw the case at the applicant's request (intake, or the applicant itself online)."""
        require_role(actor, "withdrawing a case", Role.INTAKE, Role.APPLICANT)
        return self.changes.change(case_id, "withdrawing", lambda case: case.withdraw(actor, reason),
                                   expected_version, lambda case: require_own_case(actor, case, "withdrawing"))

    def rate(self, actor: Actor, case_id: str, score: int, comment: str = "",
             expected_version: int | None = None) -> Saved:
        """Record the applicant's rating of a closed case (好差评: intake records it at the window, the applicant
        online); a poor one opens a follow-up due in ``FOLLOW_UP_DAYS`` working days."""
        require_role(actor, "recording a rating", Role.INTAKE, Role.APPLICANT)
        due = add_working_days(self.clock.today(), FOLLOW_UP_DAYS, self.is_workday)
        return self.changes.change(case_id, "rating", lambda case: case.rate(score, comment, actor, due),
                                   expected_version, lambda case: require_own_case(actor, case, "rating"))

    # Pre-review of online filings (网上预审) -----------------------------------------------------------------
    def accept_filing(self, actor: Actor, case_id: str, reason: str = "",
                      expected_version: int | None = None) -> Saved:
        """Accept an online filing waiting in pre-review (受理): the case is open, the caller its owner."""
        require_role(actor, "accepting an online filing", Role.INTAKE)
        return self.changes.change(case_id, "accepting a filing",
                                   lambda case: case.accept_filing(self.clock.today(), actor, reason), expected_version)

    def return_filing(self, actor: Actor, case_id: str, missing: list[str], reason: str,
                      expected_version: int | None = None) -> Saved:
        """Return an online filing once, listing every material missing (一次性告知)."""
        require_role(actor, "returning an online filing", Role.INTAKE)
        return self.changes.change(
            case_id, "returning a filing",
            lambda case: case.return_filing(missing, self.clock.today(), actor, reason), expected_version)

    def reassign_owner(
        self, actor: Actor, case_id: str, owner: str, reason: str, expected_version: int | None = None,
    ) -> Saved:
        """Hand the case to another first-contact owner (the owner or a supervisor may)."""
        require_role(actor, "reassigning the owner", Role.INTAKE, Role.SUPERVISOR)
        new_owner = self.find_actor(owner) if isinstance(owner, str) else None
        if new_owner is None or new_owner.role != Role.INTAKE:
            raise InvalidInput(f"owner: {owner!r} is no intake officer", {"owner": ["no such intake officer"]})

        def authorize(case: Case) -> None:
            require_owner_or(actor, case, "reassigning the owner", Role.SUPERVISOR)

        return self.changes.change(case_id, "reassigning the owner",
                                   lambda case: case.reassign_owner(owner, actor, reason), expected_version, authorize)
