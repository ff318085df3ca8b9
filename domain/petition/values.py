"""The vocabulary of petitions (诉求): statuses, channels, the enterprise that petitions, and the limits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_TIME_LIMIT_DAYS = 60  # working days a department may be given to answer
MAX_SUBJECT = 200  # characters in a petition's subject line
POOR_RATING = 2  # a rating at or below this is a poor one (差评)
MAX_ROUNDS = 2  # a poor rating re-opens a petition once: a second answer, then it closes


class PetitionStatus(StrEnum):
    """Where a petition stands in its loop: submitted → routed → answered → closed."""

    SUBMITTED = "submitted"  # received, not yet routed to a department
    ROUTED = "routed"  # with a department, its answer clock running (also after a poor rating re-opened it)
    ANSWERED = "answered"  # the department answered; the return visit is pending
    CLOSED = "closed"


class PetitionChannel(StrEnum):
    """How a petition reached the government ("企呼我应")."""

    HOTLINE = "hotline"  # 12345 hotline
    ONLINE = "online"
    MOBILE = "mobile"
    WINDOW = "window"
    SERVICE_STATION = "service-station"  # 企业服务站 in parks and business buildings
    VISIT = "visit"  # raised during a visit to the enterprise (走访, 座谈)


@dataclass(frozen=True)
class Enterprise:
    """The enterprise that petitions; its unified social credit code is optional (a hotline caller may
    not know it) and, when given, verified by the application layer like an applicant's."""

    name: str
    credit_code: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Return the enterprise as plain data."""
        return {"name": self.name, "credit_code": self.credit_code}
