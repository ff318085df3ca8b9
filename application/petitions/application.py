"""Petitions (诉求): submitted at the window, routed by supervisors, answered by departments, visited back.

Who may do what is decided here, whatever a client sends: intake officers submit petitions and make the
return visits (supervisors may visit too); supervisors route, reroute, escalate and close; a reviewer
answers only a petition its own department holds now; intake officers, supervisors, auditors and admins
read every petition, a reviewer those its department holds; auditors and admins change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from uuid import UUID

from application.common.access import READERS, require_role
from application.common.application import OneThingApplication
from application.common.changes import Changes, Saved
from application.common.clock import Clock
from application.common.errors import InvalidInput, NotAllowed, PetitionNotFound
from application.common.idempotency import Earlier
from application.petitions.inputs import check_enterprise, check_number, check_petition_channel, new_petition_number
from application.petitions.views import PetitionView, petition_view
from domain.petition.aggregate import Petition
from domain.shared.values import Actor, Role
from domain.shared.working_days import IsWorkday

DEFAULT_TIME_LIMIT_DAYS = 5  # working days, as for a general 12345 petition


def may_view(actor: Actor, petition: Petition, case_bundle: str | None = None) -> bool:
    """Whether the actor may see the petition: staff who read, a reviewer of the department holding it, or an
    applicant of the enterprise that filed it (an agent for some bundles: only one about a case of those,
    ``case_bundle`` being the bundle of its related case)."""
    if actor.role in READERS:
        return True
    if actor.role == Role.APPLICANT:
        own = actor.enterprise is not None and petition.enterprise.get("credit_code") == actor.enterprise
        return own and (actor.bundles is None or case_bundle in actor.bundles)
    return actor.role == Role.REVIEWER and petition.department is not None and petition.department == actor.department


def require_answerer(actor: Actor, petition: Petition) -> None:
    """Raise ``NotAllowed`` unless the actor reviews for the department that holds the petition now."""
    if actor.role != Role.REVIEWER or petition.department is None or actor.department != petition.department:
        held = f"reviewers of {petition.department!r}" if petition.department else "the department it is routed to"
        raise NotAllowed(f"answering this petition is for {held}; {actor.user_id} is {actor.role}"
                         + (f" of {actor.department!r}" if actor.department else ""))


class PetitionApplication(OneThingApplication):
    """Petitions and their loop: submit, route, reroute, answer, escalate, return visit, close."""

    name = "Petitions"

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock, is_workday: IsWorkday,
                 departments: Callable[[], Iterable[str]], knows: Callable[[date], bool] = lambda _: True,
                 case_exists: Callable[[str], bool] = lambda _: True,
                 case_holder: Callable[[str], tuple[str, str] | None] = lambda _: None):
        super().__init__(env)
        self.clock, self.is_workday, self.knows = clock, is_workday, knows
        self.departments, self.case_exists, self.case_holder = departments, case_exists, case_holder
        self.changes: Changes[Petition] = Changes(self, "petition", PetitionNotFound, id_of)

    # Reading ------------------------------------------------------------------------------------
    def load(self, key: str | UUID, version: int | None = None) -> Petition:
        """Return the petition with this number (or id), as of ``version`` if given, or raise ``PetitionNotFound``."""
        return self.changes.load(key, version)

    def get_petition(self, actor: Actor, number: str) -> PetitionView:
        """Return the petition if the actor may see it."""
        petition = self.load(number)
        if not may_view(actor, petition, self._bundle_of(petition.related_case)):
            raise NotAllowed(f"{actor.user_id} may not see petition {number}")
        view = petition_view(petition)
        if actor.role == Role.APPLICANT:  # supervision and who took it in are the staff's
            return replace(view, escalations=(), submitted_by="")
        return view

    def _bundle_of(self, case_number: str | None) -> str | None:
        """The bundle of a related case (None: none, or no such case)."""
        held = self.case_holder(case_number) if case_number else None
        return held[1] if held else None

    def as_saved(self, key: str | UUID, version: int) -> PetitionView:
        """The petition as a command saved it, for the answer to that command."""
        return petition_view(self.load(key, version))

    # Commands -----------------------------------------------------------------------------------
    def submit(self, actor: Actor, enterprise_name: str, credit_code: str | None, subject: str, text: str,
               channel: str, related_case: str | None = None, reason: str = "",
               number: str | None = None) -> Saved:
        """Receive an enterprise's petition (提报: intake, or the enterprise's applicant online about its own
        enterprise and cases); it waits for a supervisor to route it."""
        require_role(actor, "submitting a petition", Role.INTAKE, Role.APPLICANT)
        if number is not None:
            check_number(number, "number")
        if actor.role == Role.APPLICANT and credit_code != actor.enterprise:
            raise NotAllowed(f"{actor.user_id} files petitions for its own enterprise only")
        enterprise, chosen = check_enterprise(enterprise_name, credit_code), check_petition_channel(channel)
        if related_case:
            check_number(related_case, "related_case")
            if not self.case_exists(related_case):
                raise InvalidInput(f"related_case: no case {related_case}", {"related_case": ["no such case"]})
            held = self.case_holder(related_case)
            if actor.role == Role.APPLICANT and (held is None or held[0] != actor.enterprise or (
                    actor.bundles is not None and held[1] not in actor.bundles)):
                raise NotAllowed(f"case {related_case} is not one of {actor.user_id}'s cases")
        elif actor.role == Role.APPLICANT and actor.bundles is not None:
            raise NotAllowed(f"{actor.user_id} files petitions about the cases of its bundles: name the case")

        def make() -> Petition:
            today = self.clock.today()
            return Petition.submit(
                number=number or new_petition_number(today), enterprise=enterprise, subject=subject, text=text,
                channel=chosen, submitted_on=today, actor=actor, related_case=related_case or None, reason=reason)

        return self.changes.create("submitting a petition", make, number)

    def route(self, actor: Actor, number: str, department: str, time_limit_days: int = DEFAULT_TIME_LIMIT_DAYS,
              reason: str = "", expected_version: int | None = None) -> Saved:
        """Send the petition to a department, due ``time_limit_days`` working days from today (流转)."""
        require_role(actor, "routing petitions", Role.SUPERVISOR)
        self._check_department(department)
        return self.changes.change(number, "routing a petition", lambda p: p.route(
            department, time_limit_days, self.clock.today(), self.is_workday, actor, reason, self.knows),
            expected_version)

    def reroute(self, actor: Actor, number: str, department: str, reason: str,
                expected_version: int | None = None) -> Saved:
        """Pass the petition to another department (转办); it stays due on the same day."""
        require_role(actor, "rerouting petitions", Role.SUPERVISOR)
        self._check_department(department)
        return self.changes.change(number, "rerouting a petition", lambda p: p.reroute(department, actor, reason),
                                   expected_version)

    def answer(self, actor: Actor, number: str, answer: str, reason: str = "",
               expected_version: int | None = None) -> Saved:
        """Record the answer of the department that holds the petition (反馈)."""
        require_role(actor, "answering petitions", Role.REVIEWER)

        def authorize(petition: Petition) -> None:
            require_answerer(actor, petition)

        return self.changes.change(number, "answering a petition",
                                   lambda p: p.answer(answer, self.clock.today(), actor, reason),
                                   expected_version, authorize)

    def escalate(self, actor: Actor, number: str, reason: str, expected_version: int | None = None) -> Saved:
        """Take an unanswered petition a level up (督办, 提级督办); the result is its new level."""
        require_role(actor, "escalating petitions", Role.SUPERVISOR)
        return self.changes.change(number, "escalating a petition",
                                   lambda p: p.escalate(self.clock.today(), actor, reason), expected_version)

    def return_visit(self, actor: Actor, number: str, rating: int, satisfied: bool, comment: str = "",
                     reason: str = "", expected_version: int | None = None) -> Saved:
        """Record the return visit (回访) and rating (好差评); the result is whether the petition closed."""
        require_role(actor, "return visits", Role.INTAKE, Role.SUPERVISOR)
        return self.changes.change(number, "recording a return visit", lambda p: p.return_visit(
            rating, comment, satisfied, self.clock.today(), self.is_workday, actor, reason, self.knows),
            expected_version)

    def close_petition(self, actor: Actor, number: str, reason: str,
                       expected_version: int | None = None) -> Saved:
        """Close the petition before its loop ends, with the reason (``close`` is the Application's own)."""
        require_role(actor, "closing petitions", Role.SUPERVISOR)
        return self.changes.change(number, "closing a petition",
                                   lambda p: p.close(self.clock.today(), actor, reason), expected_version)

    def check_deadlines(self, petition_id: str | UUID, today: date, raise_after: int, actor: Actor) -> int:
        """Escalate the petition if it is late or left unanswered too long (the SLA tick); return how many events."""
        require_role(actor, "checking deadlines", Role.SUPERVISOR)
        saved = self.changes.change(UUID(str(petition_id)), "checking a petition's deadline",
                                    lambda p: p.check_deadlines(today, self.is_workday, raise_after, actor))
        events: int = saved.result
        return events

    def saved_of(self, earlier: Earlier) -> Saved:
        """What an earlier request's command returned, from what it committed (a repeated request's answer)."""
        return self.changes.saved_of(earlier)

    # Helpers ------------------------------------------------------------------------------------
    def _check_department(self, department: object) -> None:
        if not isinstance(department, str) or department not in set(self.departments()):
            raise InvalidInput(f"department: unknown department {department!r}",
                               {"department": [f"unknown department {department!r}"]})


def id_of(key: str | UUID) -> UUID:
    """The petition's id: given as it is, or from its number."""
    return key if isinstance(key, UUID) else Petition.create_id(str(key))
