"""What can go wrong in the domain: each error is named for the rule it enforces."""


class DomainError(Exception):
    """Raised when a command would break a rule of the domain."""

    code = "rule_violation"
    field: str | None = None  # the input field at fault, where there is one


class InvalidBundle(DomainError):
    """Raised when a bundle definition is malformed; names the bundle and the field."""

    code = "invalid_bundle"

    def __init__(self, bundle: str, field: str, message: str):
        super().__init__(f"bundle {bundle!r}, field {field!r}: {message}")
        self.bundle = bundle
        self.field = field
        self.message = message


class UnknownItem(DomainError):
    """Raised when a command names an item the case's bundle does not have."""

    code = "unknown_item"
    field = "item"


class UnknownMaterial(DomainError):
    """Raised when a command names a material the case's bundle does not declare."""

    code = "unknown_material"
    field = "key"


class CaseClosed(DomainError):
    """Raised when a command arrives after the case was completed, rejected or withdrawn."""

    code = "case_closed"


class CaseNotClosed(DomainError):
    """Raised when something that belongs after closing (a rating) comes too early."""

    code = "case_not_closed"


class ItemAlreadyDecided(DomainError):
    """Raised when an item that was approved, rejected or withdrawn would be decided again."""

    code = "item_already_decided"


class WrongItemStatus(DomainError):
    """Raised when an item is not in the status a command needs."""

    code = "wrong_item_status"


class PrerequisiteNotMet(DomainError):
    """Raised when an item would be approved before its prerequisites are approved."""

    code = "prerequisite_not_met"


class MaterialsMissing(DomainError):
    """Raised when an item needs materials that were neither submitted nor excused."""

    code = "materials_missing"


class DeficiencyNotAllowed(DomainError):
    """Raised when acceptance with deficiency names a material the bundle marks as essential."""

    code = "deficiency_not_allowed"


class CommitmentNotAllowed(DomainError):
    """Raised when approval on commitment is asked for an item that does not allow it."""

    code = "commitment_not_allowed"


class InspectionRequired(DomainError):
    """Raised when an item that needs an inspection would be approved without a passed one."""

    code = "inspection_required"


class ReasonRequired(DomainError):
    """Raised when a command that must say why (reject, withdraw, …) comes without a reason."""

    code = "reason_required"


class CertificatesAlreadyIssued(DomainError):
    """Raised when an item's certificates would be issued twice."""

    code = "certificates_already_issued"


class NothingToIssue(DomainError):
    """Raised when certificates are asked for an item whose bundle defines none."""

    code = "nothing_to_issue"


class EscalationNotFound(DomainError):
    """Raised when a command names an escalation the case does not have."""

    code = "escalation_not_found"


class EscalationAlreadyResolved(DomainError):
    """Raised when a resolved escalation would be resolved again."""

    code = "escalation_already_resolved"


class InvalidRating(DomainError):
    """Raised when a rating is not a whole number from 1 to 5, or the case was rated already."""

    code = "invalid_rating"


class InvalidValue(DomainError):
    """Raised when a command argument is out of its allowed range."""

    code = "invalid_value"


class PetitionClosed(DomainError):
    """Raised when a command arrives after the petition (诉求) was closed."""

    code = "petition_closed"


class WrongPetitionStatus(DomainError):
    """Raised when a petition is not in the status a command needs (e.g. answered before it was routed)."""

    code = "wrong_petition_status"


class EscalationAtHighestLevel(DomainError):
    """Raised when a petition's supervision would rise above the highest level."""

    code = "escalation_at_highest_level"


class NotInPreReview(DomainError):
    """Raised when intake accepts or returns a case that is not waiting in pre-review (网上预审)."""

    code = "not_in_pre_review"


class ReturnedOnce(DomainError):
    """Raised when a filing would be returned a second time: everything missing is told at once (一次性告知)."""

    code = "returned_once"


class NoOpenFollowUp(DomainError):
    """Raised when a rating follow-up is closed that is not open."""

    code = "no_open_follow_up"


class NotYetAccepted(DomainError):
    """Raised when an item is acted on while its online filing waits in pre-review (intake accepts it first)."""

    code = "not_yet_accepted"
