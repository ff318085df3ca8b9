"""Petitions (诉求): submitted at the window, routed by supervisors, answered by departments, visited back.

Who may do what is decided here, whatever a client sends: intake officers submit petitions and make the
return visits (supervisors may visit too); supervisors route, reroute, escalate and close; a reviewer
answers only a petition its own department holds now; intake officers, supervisors, auditors and admins
read every petition, a reviewer those its department holds; auditors and admins change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.common.access import require_role
from application.common.application import OneThingApplication
from application.common.clock import Clock
from application.common.errors import AlreadyExists, InvalidInput, NotAllowed, PetitionNotFound, VersionConflict
from application.common.idempotency import Earlier, earlier_result
from application.common.retry import with_retries
from application.petitions.inputs import check_enterprise, check_number, check_petition_channel, new_petition_number
from domain.petition.aggregate import Petition
from domain.shared.values import Actor, Role
from domain.shared.working_days import IsWorkday

READERS = frozenset({Role.INTAKE, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})
DEFAULT_TIME_LIMIT_DAYS = 5  # working days, as for a general 12345 petition


@dataclass(frozen=True)
class PetitionSaved:
    """What a petition command returns: the petition, its new version, and where its last event landed."""

    petition_id: UUID
    number: str
    version: int
    notification_id: int | None
    result: Any = None


def may_view(actor: Actor, petition: Petition) -> bool:
    """Whether the actor may see the petition: staff who read, or a reviewer of the department holding it."""
    if actor.role in READERS:
        return True
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
                 case_exists: Callable[[str], bool] = lambda _: True):
        super().__init__(env)
        self.clock, self.is_workday, self.knows = clock, is_workday, knows
        self.departments, self.case_exists = departments, case_exists

    # Reading ------------------------------------------------------------------------------------
    def load(self, key: str | UUID, version: int | None = None) -> Petition:
        """Return the petition with this number (or id), as of ``version`` if given, or raise ``PetitionNotFound``."""
        try:
            return self.repository.get(_id(key), version=version)
        except AggregateNotFoundError:
            raise PetitionNotFound(f"no petition {key}") from None

    def get_petition(self, actor: Actor, number: str) -> Petition:
        """Return the petition if the actor may see it."""
        petition = self.load(number)
        if not may_view(actor, petition):
            raise NotAllowed(f"{actor.user_id} may not see petition {number}")
        return petition

    # Commands -----------------------------------------------------------------------------------
    def submit(self, actor: Actor, enterprise_name: str, credit_code: str | None, subject: str, text: str,
               channel: str, related_case: str | None = None, reason: str = "",
               number: str | None = None) -> PetitionSaved:
        """Receive an enterprise's petition (提报); it waits for a supervisor to route it."""
        require_role(actor, "submitting a petition", Role.INTAKE)
        if number is not None:
            check_number(number, "number")
        enterprise, chosen = check_enterprise(enterprise_name, credit_code), check_petition_channel(channel)
        if related_case:
            check_number(related_case, "related_case")
            if not self.case_exists(related_case):
                raise InvalidInput(f"related_case: no case {related_case}", {"related_case": ["no such case"]})

        def attempt() -> PetitionSaved:
            today = self.clock.today()
            petition = Petition.submit(
                number=number or new_petition_number(today), enterprise=enterprise, subject=subject, text=text,
                channel=chosen, submitted_on=today, actor=actor, related_case=related_case or None, reason=reason)
            return self._saved(petition)

        def on_conflict() -> None:
            if number is not None:
                raise AlreadyExists(f"petition {number} exists already")

        return with_retries(attempt, on_conflict, "submitting a petition", self._replayed)

    def route(self, actor: Actor, number: str, department: str, time_limit_days: int = DEFAULT_TIME_LIMIT_DAYS,
              reason: str = "", expected_version: int | None = None) -> PetitionSaved:
        """Send the petition to a department, due ``time_limit_days`` working days from today (流转)."""
        require_role(actor, "routing petitions", Role.SUPERVISOR)
        self._check_department(department)
        return self._change(number, "routing a petition", lambda p: p.route(
            department, time_limit_days, self.clock.today(), self.is_workday, actor, reason, self.knows),
            expected_version)

    def reroute(self, actor: Actor, number: str, department: str, reason: str,
                expected_version: int | None = None) -> PetitionSaved:
        """Pass the petition to another department (转办); it stays due on the same day."""
        require_role(actor, "rerouting petitions", Role.SUPERVISOR)
        self._check_department(department)
        return self._change(number, "rerouting a petition", lambda p: p.reroute(department, actor, reason),
                            expected_version)

    def answer(self, actor: Actor, number: str, answer: str, reason: str = "",
               expected_version: int | None = None) -> PetitionSaved:
        """Record the answer of the department that holds the petition (反馈)."""
        require_role(actor, "answering petitions", Role.REVIEWER)
        return self._change(number, "answering a petition", lambda p: p.answer(answer, self.clock.today(), actor,
                                                                                 reason),
                            expected_version, authorize=lambda p: require_answerer(actor, p))

    def escalate(self, actor: Actor, number: str, reason: str, expected_version: int | None = None) -> PetitionSaved:
        """Take an unanswered petition a level up (督办, 提级督办); the result is its new level."""
        require_role(actor, "escalating petitions", Role.SUPERVISOR)
        return self._change(number, "escalating a petition", lambda p: p.escalate(self.clock.today(), actor, reason),
                            expected_version)

    def return_visit(self, actor: Actor, number: str, rating: int, satisfied: bool, comment: str = "",
                     reason: str = "", expected_version: int | None = None) -> PetitionSaved:
        """Record the return visit (回访) and rating (好差评); the result is whether the petition closed."""
        require_role(actor, "return visits", Role.INTAKE, Role.SUPERVISOR)
        return self._change(number, "recording a return visit", lambda p: p.return_visit(
            rating, comment, satisfied, self.clock.today(), self.is_workday, actor, reason, self.knows),
            expected_version)

    def close_petition(self, actor: Actor, number: str, reason: str,
                       expected_version: int | None = None) -> PetitionSaved:
        """Close the petition before its loop ends, with the reason (``close`` is the Application's own)."""
        require_role(actor, "closing petitions", Role.SUPERVISOR)
        return self._change(number, "closing a petition", lambda p: p.close(self.clock.today(), actor, reason),
                            expected_version)

    def check_deadlines(self, petition_id: str | UUID, today: date, raise_after: int, actor: Actor) -> int:
        """Escalate the petition if it is late or left unanswered too long (the SLA tick); return how many events."""
        require_role(actor, "checking deadlines", Role.SUPERVISOR)
        return self._change(UUID(str(petition_id)), "checking a petition's deadline", lambda p: p.check_deadlines(
            today, self.is_workday, raise_after, actor)).result

    # Helpers ------------------------------------------------------------------------------------
    def _check_department(self, department: object) -> None:
        if not isinstance(department, str) or department not in set(self.departments()):
            raise InvalidInput(f"department: unknown department {department!r}",
                               {"department": [f"unknown department {department!r}"]})

    def _change(self, key: str | UUID, doing: str, command: Callable[[Petition], Any],
                expected_version: int | None = None,
                authorize: Callable[[Petition], None] = lambda _: None) -> PetitionSaved:
        """Run ``command`` on a fresh load of the petition and save; retry on a conflict unless a version was
        expected. Who may act is checked before the version, so a refusal never reveals the version."""
        if expected_version is not None and (isinstance(expected_version, bool)
                                             or not isinstance(expected_version, int)):
            raise InvalidInput("expected_version: a whole number", {"expected_version": ["a whole number"]})

        def attempt() -> PetitionSaved:
            petition = self.load(key)
            authorize(petition)
            if expected_version is not None and petition.version != expected_version:
                raise VersionConflict(f"petition {petition.number} is at version {petition.version}, "
                                      f"not {expected_version}", current_version=petition.version)
            return self._saved(petition, command(petition))

        def on_conflict() -> None:
            if expected_version is not None:
                raise VersionConflict(f"{doing}: the petition changed meanwhile; nothing was saved")

        return with_retries(attempt, on_conflict, doing, self._replayed)

    def _replayed(self, look_again: bool) -> PetitionSaved | None:
        """What this request committed already, if it is a retry of one (``application.common.idempotency``)."""
        earlier = earlier_result(self.recorder, self.recorder.events_table_name, look_again)  # type: ignore[arg-type]
        return None if earlier is None else self.saved_of(earlier)

    def saved_of(self, earlier: Earlier) -> PetitionSaved:
        """What an earlier command returned, from what it committed."""
        if earlier.events_table != self.recorder.events_table_name:
            raise PetitionNotFound(f"that request wrote no petition (it wrote to {earlier.events_table})")
        petition = self.load(UUID(earlier.aggregate_id), earlier.version)
        return PetitionSaved(petition.id, petition.number, petition.version, earlier.notification_id)

    def _saved(self, petition: Petition, result: Any = None) -> PetitionSaved:
        recordings = self.save(petition)
        last = recordings[-1].notification.id if recordings else None
        return PetitionSaved(petition.id, petition.number, petition.version, last, result)


def _id(key: str | UUID) -> UUID:
    return key if isinstance(key, UUID) else Petition.create_id(str(key))
