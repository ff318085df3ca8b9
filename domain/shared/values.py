"""Value objects and the fixed vocabularies of the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a user does in OneThing."""

    INTAKE = "intake"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    APPLICANT = "applicant"  # an enterprise's legal representative or one of its agents, filing online (网上办)


class Channel(StrEnum):
    """How a case reached the single window."""

    WINDOW = "window"
    ONLINE = "online"
    MOBILE = "mobile"
    ASSISTED_AGENT = "assisted-agent"
    POSTAL_AGENT = "postal-agent"


class ItemStatus(StrEnum):
    """Where one item of a case stands."""

    WAITING = "waiting"
    IN_REVIEW = "in_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    NOT_APPLICABLE = "not_applicable"  # its rules say this case does not need it: no decision, no hold-up


class CaseStatus(StrEnum):
    """Where a case stands."""

    SUBMITTED = "submitted"  # filed online, waiting in intake's pre-review (网上预审)
    RETURNED = "returned"  # pre-review returned it once, listing everything missing (一次性告知)
    OPEN = "open"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


PRE_REVIEW_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.RETURNED})  # not yet accepted by intake
CLOSED_CASE_STATUSES = frozenset({CaseStatus.COMPLETED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN})
POOR_RATING = 2  # a rating at or below this (不满意, 非常不满意) opens a follow-up (差评整改)
PRE_REVIEW_DAYS = 5  # working days intake has to answer an online filing (行政许可法 art. 32)
FOLLOW_UP_DAYS = 15  # working days a supervisor has to close a poor rating's follow-up

DECIDED_ITEM_STATUSES = frozenset({ItemStatus.APPROVED, ItemStatus.REJECTED, ItemStatus.WITHDRAWN,
                                   ItemStatus.NOT_APPLICABLE})
# Statuses that let the items waiting on it go ahead: approved, or not needed by this case at all.
CLEARED_ITEM_STATUSES = frozenset({ItemStatus.APPROVED, ItemStatus.NOT_APPLICABLE})


class CertificateStatus(StrEnum):
    """Where one certificate of a case stands: held until the case closes, then valid or void."""

    HELD = "held"  # issued, kept back until the case completes (all certificates are released together)
    VALID = "valid"  # released to the applicant when the case completed
    VOID = "void"  # never released: the case closed otherwise, or its approval fell while it was held
    REVOKED = "revoked"  # released, then revoked with the approval on commitment it rested on


class MaterialSource(StrEnum):
    """Where a version of a material came from."""

    UPLOAD = "upload"  # a file stored for this case
    VAULT = "vault"  # a file the applicant submitted in an earlier case, reused from its vault
    LICENCE = "licence"  # an e-licence the applicant holds, its PDF stored as the file
    PAPER = "paper"  # paper kept on file without a scan: a file name and a digest only


TOP_ESCALATION_LEVEL = 3  # the highest supervision level of a case or petition (督办 → 提级督办)


_ROLES = {role.value: role for role in Role}  # decoding an actor is on every event's path


@dataclass(frozen=True)
class Actor:
    """Who does something: recorded on every event with the reason."""

    user_id: str
    role: Role
    department: str | None = None
    enterprise: str | None = None  # an applicant's enterprise: its unified social credit code
    # An agent's bundles (None: all), known while it is signed in; not recorded with events.
    bundles: tuple[str, ...] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, str | None]:
        """Return the actor as plain data for events and JSON (``enterprise`` only where there is one, so
        events recorded before applicants existed encode as they always did)."""
        data = {"user_id": self.user_id, "role": str(self.role), "department": self.department}
        if self.enterprise is not None:
            data["enterprise"] = self.enterprise
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        """Rebuild an actor recorded with ``to_dict``."""
        return cls(data["user_id"], _ROLES[data["role"]], data.get("department"), data.get("enterprise"))


@dataclass(frozen=True)
class Applicant:
    """The enterprise or person filing a case.

    ``credit_code`` is the 18-character unified social credit code; its check digit is
    verified before a case is opened (by the application layer, with python-stdnum).
    """

    name: str
    credit_code: str

    def to_dict(self) -> dict[str, str]:
        """Return the applicant as plain data."""
        return {"name": self.name, "credit_code": self.credit_code}


@dataclass(frozen=True)
class Certificate:
    """A numbered certificate issued for an approved item."""

    number: str
    type: str
    name: str

    def to_dict(self) -> dict[str, str]:
        """Return the certificate as plain data."""
        return {"number": self.number, "type": self.type, "name": self.name}
