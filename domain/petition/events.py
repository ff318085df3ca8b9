"""The events of a petition. Each ``apply`` only records what happened; the rules live in ``Petition``.

``apply`` runs again on every replay: it reads nothing but the event and the petition. Business days
(``routed_on``, ``due``, ``answered_on`` …) travel on the events, so nothing here needs a clock or calendar.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.petition.values import PetitionStatus
from domain.shared.recorded import Created, Recorded

if TYPE_CHECKING:
    from domain.petition.aggregate import Petition


class Submitted(Created):
    """An enterprise's petition was received (提报)."""

    number: str
    enterprise: dict
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
