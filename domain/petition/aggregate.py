"""The Petition aggregate: an enterprise's request or complaint (诉求), "企呼我应".

Its loop: submitted (提报) → routed to a department with an answer time limit in working days (流转; a
supervisor may reroute it, 转办, and the clock keeps its due date) → answered (反馈) → return visit with a
rating (回访, 好差评) → closed. A late petition comes under supervision (督办) at level 1, recorded once by
the SLA tick, and rises a level (提级督办) after the same number of working days as case escalations, up
to level 3; a supervisor may also escalate by hand. A poor rating (1 or 2, 差评) re-opens the petition
once for a second answer from the department that holds it, on a new clock; the second return visit
closes it whatever the rating (a further complaint is a new petition). A supervisor may close a petition
at any point with a reason (a duplicate, a withdrawal, an enterprise that cannot be reached).

``Petition`` is one class: its events first, nested in it (``Petition.Routed`` …; each ``apply`` only records
what happened and reads nothing but the event and the petition, since it runs again on every replay; business
days travel on the events), then its guards and commands. Every command checks its rules first (raising a
``DomainError``; the text rules are ``domain.shared.text``), then records an event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.petition.values import (
    MAX_ROUNDS,
    MAX_SUBJECT,
    MAX_TIME_LIMIT_DAYS,
    POOR_RATING,
    Enterprise,
    PetitionChannel,
    PetitionStatus,
)
from domain.shared import errors
from domain.shared.recorded import Created, Recorded
from domain.shared.text import check_reason, check_text
from domain.shared.values import TOP_ESCALATION_LEVEL, Actor
from domain.shared.working_days import IsWorkday, add_working_days, working_days_between

PETITION_NAMESPACE = uuid5(NAMESPACE_URL, "https://onething.invalid/petition")
Knows = Callable[[date], bool]  # whether the calendar has the real holidays of a day's year


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _required_text(value: object, name: str, limit: int | None = None) -> None:
    """Raise ``InvalidValue`` unless ``value`` is storable, non-blank text of at most ``limit`` characters."""
    check_text(value, name)
    if not str(value).strip():
        raise errors.InvalidValue(f"{name} is required")
    if limit is not None and len(str(value)) > limit:
        raise errors.InvalidValue(f"{name} must be at most {limit} characters")


class Petition(Aggregate):
    """A petition: who raised what, which department holds it, its answers, supervision and return visits."""

    # Events ---------------------------------------------------------------------------------------
    class Submitted(Created):
        """An enterprise's petition was received (提报)."""

        number: str
        enterprise: dict[str, Any]
        subject: str
        text: str
        channel: str
        related_case: str | None
        submitted_on: date

    class Routed(Recorded):
        """A supervisor sent the petition to a department, which must answer within its time limit (流转)."""

        department: str
        time_limit_days: int
        routed_on: date
        due: date
        due_provisional: bool  # the due date lies in a year whose holidays the calendar does not know yet

        def apply(self, petition: Petition) -> None:
            petition.status, petition.department = PetitionStatus.ROUTED, self.department
            petition.time_limit_days, petition.routed_on = self.time_limit_days, self.routed_on
            petition.due, petition.due_provisional = self.due, self.due_provisional

    class Rerouted(Recorded):
        """A supervisor passed the petition to another department (转办); its due date stays."""

        from_department: str
        to_department: str

        def apply(self, petition: Petition) -> None:
            petition.department = self.to_department

    class Answered(Recorded):
        """The department answered the petition (反馈); supervision of this round ends."""

        answer: str
        answered_on: date

        def apply(self, petition: Petition) -> None:
            petition.status = PetitionStatus.ANSWERED
            petition.answers.append({"answer": self.answer, "answered_on": self.answered_on,
                                     "by": self.actor.user_id, "department": petition.department,
                                     "on_time": petition.due is None or self.answered_on <= petition.due})
            petition.level_since = None  # answered: the supervision stops rising

    class Escalated(Recorded):
        """The petition came under supervision at ``level`` (督办), or rose to it (提级督办): by the SLA tick
        when it is late or left unanswered, or by a supervisor."""

        level: int
        escalated_on: date

        def apply(self, petition: Petition) -> None:
            petition.level, petition.level_since = self.level, self.escalated_on
            petition.escalations.append({"level": self.level, "escalated_on": self.escalated_on,
                                         "by": self.actor.user_id, "reason": self.reason})

    class ReturnVisited(Recorded):
        """The enterprise was called back (回访) and rated the answer (好差评)."""

        rating: int
        comment: str
        satisfied: bool  # whether the enterprise says its problem was solved
        visited_on: date

        def apply(self, petition: Petition) -> None:
            petition.visits.append({"rating": self.rating, "comment": self.comment, "satisfied": self.satisfied,
                                    "visited_on": self.visited_on, "by": self.actor.user_id})

    class Reopened(Recorded):
        """A poor rating sent the petition back to its department for a second answer, with a new clock."""

        round: int
        reopened_on: date
        due: date
        due_provisional: bool

        def apply(self, petition: Petition) -> None:
            petition.status, petition.round = PetitionStatus.ROUTED, self.round
            petition.due, petition.due_provisional = self.due, self.due_provisional
            petition.level, petition.level_since = 0, None  # a new round starts without supervision

    class Closed(Recorded):
        """The petition closed: after its return visit, or by a supervisor with the reason."""

        closed_on: date

        def apply(self, petition: Petition) -> None:
            petition.status, petition.closed_on = PetitionStatus.CLOSED, self.closed_on
            petition.level_since = None

    # State ----------------------------------------------------------------------------------------

    def __init__(self, number: str, enterprise: dict[str, Any], subject: str, text: str, channel: str,
                 related_case: str | None, submitted_on: date, actor: Actor, reason: str):
        self.number, self.enterprise, self.subject, self.text = number, dict(enterprise), subject, text
        self.channel, self.related_case, self.submitted_on = channel, related_case, submitted_on
        self.submitted_by = actor.user_id
        self.status = PetitionStatus.SUBMITTED
        self.department: str | None = None
        self.time_limit_days: int | None = None
        self.routed_on: date | None = None
        self.due: date | None = None
        self.due_provisional = False
        self.round = 1
        self.level = 0  # current supervision level (0: none)
        self.level_since: date | None = None  # since when it is at that level
        self.answers: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.visits: list[dict[str, Any]] = []
        self.closed_on: date | None = None

    @staticmethod
    def create_id(number: str, **_: Any) -> UUID:
        """A petition's id follows from its number, so a number is never given twice."""
        return uuid5(PETITION_NAMESPACE, number)

    @classmethod
    def submit(cls, *, number: str, enterprise: Enterprise, subject: str, text: str, channel: PetitionChannel,
               submitted_on: date, actor: Actor, related_case: str | None = None, reason: str = "") -> Petition:
        """Receive an enterprise's petition; it waits for a supervisor to route it."""
        _required_text(enterprise.name, "enterprise name", MAX_SUBJECT)
        if enterprise.credit_code is not None and not isinstance(enterprise.credit_code, str):
            raise errors.InvalidValue("the credit code must be text")
        _required_text(subject, "subject", MAX_SUBJECT)
        _required_text(text, "text")
        if related_case is not None:
            _required_text(related_case, "related case", 64)
        check_text(reason, "reason")  # creation does not pass through trigger_event
        try:
            channel = PetitionChannel(channel)
        except ValueError:
            raise errors.InvalidValue(f"channel must be one of {', '.join(c.value for c in PetitionChannel)}") from None
        return cls._create(
            cls.Submitted, number=number, enterprise=enterprise.to_dict(), subject=subject, text=text,
            channel=str(channel), related_case=related_case, submitted_on=submitted_on,
            actor=actor, reason=reason,
        )

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Record an event; every reason is checked here, once, before anything is recorded."""
        check_text(kwargs.get("reason", ""), "reason")
        super().trigger_event(event_class, **kwargs)

    # Guards -----------------------------------------------------------------------------------
    def check_status(self, *allowed: PetitionStatus) -> None:
        """Raise ``PetitionClosed`` or ``WrongPetitionStatus`` unless the petition is in one of ``allowed``."""
        if self.status == PetitionStatus.CLOSED:
            raise errors.PetitionClosed(f"petition {self.number} is closed; nothing more can be done to it")
        if self.status not in allowed:
            wanted = " or ".join(str(s) for s in allowed)
            raise errors.WrongPetitionStatus(f"petition {self.number} is {self.status}, not {wanted}")

    @staticmethod
    def check_time_limit(days: object) -> int:
        """Return ``days`` if it is a whole number of working days from 1 to MAX_TIME_LIMIT_DAYS."""
        if not _whole(days) or not 1 <= days <= MAX_TIME_LIMIT_DAYS:  # type: ignore[operator]
            raise errors.InvalidValue(f"the time limit is a whole number of working days, 1 to {MAX_TIME_LIMIT_DAYS}")
        return days  # type: ignore[return-value]

    @property
    def answer_text(self) -> str | None:
        """The latest answer, if there is one."""
        return self.answers[-1]["answer"] if self.answers else None

    # Commands ---------------------------------------------------------------------------------
    def route(self, department: str, time_limit_days: int, today: date, is_workday: IsWorkday, actor: Actor,
              reason: str = "", knows: Knows = lambda _: True) -> None:
        """Send the petition to ``department``, due ``time_limit_days`` working days after today."""
        self.check_status(PetitionStatus.SUBMITTED)
        _required_text(department, "department", 64)
        days = self.check_time_limit(time_limit_days)
        due = add_working_days(today, days, is_workday)
        self.trigger_event(self.Routed, department=department, time_limit_days=days, routed_on=today, due=due,
                           due_provisional=not (knows(today) and knows(due)), actor=actor, reason=reason)

    def reroute(self, department: str, actor: Actor, reason: str) -> None:
        """Pass the petition to another department (转办); the answer is still due on the same day."""
        self.check_status(PetitionStatus.ROUTED)
        _required_text(department, "department", 64)
        if department == self.department:
            raise errors.InvalidValue(f"petition {self.number} is already with {department!r}")
        check_reason(reason)
        self.trigger_event(self.Rerouted, from_department=self.department, to_department=department,
                           actor=actor, reason=reason)

    def answer(self, text: str, today: date, actor: Actor, reason: str = "") -> None:
        """Record the department's answer to the enterprise."""
        self.check_status(PetitionStatus.ROUTED)
        _required_text(text, "answer")
        self.trigger_event(self.Answered, answer=text, answered_on=today, actor=actor, reason=reason)

    def escalate(self, today: date, actor: Actor, reason: str) -> int:
        """Take the unanswered petition a level up (督办, then 提级督办); return the new level."""
        self.check_status(PetitionStatus.ROUTED)
        if self.level >= TOP_ESCALATION_LEVEL:
            raise errors.EscalationAtHighestLevel(f"petition {self.number} is at level {TOP_ESCALATION_LEVEL} already")
        check_reason(reason)
        self.trigger_event(self.Escalated, level=self.level + 1, escalated_on=today, actor=actor, reason=reason)
        return self.level

    def return_visit(self, rating: int, comment: str, satisfied: bool, today: date, is_workday: IsWorkday,
                     actor: Actor, reason: str = "", knows: Knows = lambda _: True) -> bool:
        """Record the return visit (回访) and its rating (好差评); close the petition, or re-open it once for a
        second answer after a poor rating. Return whether it closed."""
        self.check_status(PetitionStatus.ANSWERED)
        if not _whole(rating) or not 1 <= rating <= 5:
            raise errors.InvalidRating("a rating is a whole number from 1 to 5")
        if not isinstance(satisfied, bool):
            raise errors.InvalidValue("satisfied must be true or false")
        check_text(comment, "comment")
        self.trigger_event(self.ReturnVisited, rating=rating, comment=comment, satisfied=satisfied,
                           visited_on=today, actor=actor, reason=reason)
        if rating <= POOR_RATING and self.round < MAX_ROUNDS:
            due = add_working_days(today, self.time_limit_days or 1, is_workday)  # answered: it was routed
            self.trigger_event(self.Reopened, round=self.round + 1, reopened_on=today, due=due,
                               due_provisional=not (knows(today) and knows(due)), actor=actor,
                               reason=f"rated {rating}: a second answer is due")
            return False
        self.trigger_event(self.Closed, closed_on=today, actor=actor, reason=f"return visit: rated {rating}")
        return True

    def close(self, today: date, actor: Actor, reason: str) -> None:
        """Close the petition before its loop ends (a duplicate, withdrawn, the enterprise unreachable)."""
        self.check_status(PetitionStatus.SUBMITTED, PetitionStatus.ROUTED, PetitionStatus.ANSWERED)
        check_reason(reason)
        self.trigger_event(self.Closed, closed_on=today, actor=actor, reason=reason)

    def check_deadlines(self, today: date, is_workday: IsWorkday, raise_after: int, actor: Actor) -> int:
        """Escalate a late petition to level 1, or raise its supervision a level after ``raise_after`` working
        days unanswered at the current one; return how many events. Each is recorded once per day's state,
        so running it twice changes nothing more."""
        if self.status != PetitionStatus.ROUTED or self.due is None:
            return 0
        if self.level == 0 and today > self.due:
            self.trigger_event(self.Escalated, level=1, escalated_on=today, actor=actor,
                               reason=f"overdue: the answer was due {self.due.isoformat()}")
            return 1
        if 0 < self.level < TOP_ESCALATION_LEVEL and self.level_since is not None and \
                working_days_between(self.level_since, today, is_workday) >= raise_after:
            self.trigger_event(self.Escalated, level=self.level + 1, escalated_on=today, actor=actor,
                               reason=f"unanswered for {raise_after} working days at level {self.level}")
            return 1
        return 0
