"""The rules a case checks before it records anything: plain functions of what they check.

``Case``'s commands call them first; each raises a named ``DomainError`` and changes nothing. The text rules
(reasons, comments, file names) are shared with petitions: ``domain.shared.text``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.shared import errors
from domain.shared.text import MAX_TEXT, is_storable_text
from domain.shared.values import (
    CLEARED_ITEM_STATUSES, PRE_REVIEW_STATUSES, TOP_ESCALATION_LEVEL, CaseStatus, ItemStatus,
)

if TYPE_CHECKING:
    from domain.case.state import Escalation, ItemState

SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def check_open(status: CaseStatus) -> None:
    """Raise ``CaseClosed`` unless the case is open (``NotYetAccepted`` while an online filing is in pre-review)."""
    if status in PRE_REVIEW_STATUSES:
        raise errors.NotYetAccepted(f"the case is {status}: intake accepts an online filing before its items are "
                                    "reviewed")
    if status != CaseStatus.OPEN:
        raise errors.CaseClosed(f"the case is {status}; nothing more can be done to it")


def check_not_closed(status: CaseStatus) -> None:
    """Raise ``CaseClosed`` once the case is closed (open, or in pre-review after an online filing, it is not)."""
    if status != CaseStatus.OPEN and status not in PRE_REVIEW_STATUSES:
        raise errors.CaseClosed(f"the case is {status}; nothing more can be done to it")


def check_missing(material_defs: dict[str, dict[str, Any]], missing: object) -> list[str]:
    """The material keys a pre-review returns as missing: a non-empty list of declared keys, each once."""
    if not isinstance(missing, list) or not missing:
        raise errors.InvalidValue("missing: list every material that is missing (at least one)")
    for key in missing:
        check_material(material_defs, key, field="missing")
    return list(dict.fromkeys(missing))


def check_item(items: dict[str, ItemState], code: str) -> ItemState:
    """Return the item, or raise ``UnknownItem``."""
    if not isinstance(code, str) or code not in items:
        raise errors.UnknownItem(f"this case has no item {code!r}")
    return items[code]


def check_undecided(status: CaseStatus, items: dict[str, ItemState], code: str) -> ItemState:
    """Return the open case's item unless it was decided already."""
    check_open(status)
    item = check_item(items, code)
    if item.decided:
        raise errors.ItemAlreadyDecided(f"item {code!r} is {item.status} already")
    return item


def check_item_status(status: CaseStatus, items: dict[str, ItemState], code: str, *allowed: ItemStatus) -> ItemState:
    """Return the open case's item if its status is one of ``allowed``."""
    check_open(status)
    item = check_item(items, code)
    if item.status in allowed:
        return item
    if item.decided and ItemStatus.APPROVED not in allowed:
        raise errors.ItemAlreadyDecided(f"item {code!r} is {item.status} already")
    wanted = " or ".join(str(s) for s in allowed)
    raise errors.WrongItemStatus(f"item {code!r} is {item.status}, not {wanted}")


def check_material(material_defs: dict[str, dict[str, Any]], key: str, field: str = "key") -> None:
    """Raise ``UnknownMaterial`` (naming the input ``field``) unless the bundle declares ``key``."""
    if not isinstance(key, str) or key not in material_defs:
        error = errors.UnknownMaterial(f"the bundle declares no material {key!r}")
        error.field = field
        raise error


def check_file(filename: str, sha256: str) -> None:
    """Raise ``InvalidValue`` for an empty file name or a malformed SHA-256 digest."""
    if not isinstance(filename, str) or not filename.strip() or len(filename) > MAX_TEXT \
            or not is_storable_text(filename):
        raise errors.InvalidValue("a material needs a file name")
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise errors.InvalidValue("sha256 must be 64 hexadecimal characters")


def check_materials_present(item: ItemState, materials: dict[str, dict[str, Any]], deficiencies: dict[str, date],
                            excused_ok: bool) -> None:
    """Raise ``MaterialsMissing`` if the item lacks materials (excused ones count if allowed)."""
    missing = [
        key for key in item.materials
        if key not in materials and not (excused_ok and key in deficiencies)
    ]
    if missing:
        raise errors.MaterialsMissing(f"item {item.code!r} still needs: {', '.join(missing)}")


def went_ahead_without(code: str, statuses: Mapping[str, str], prerequisites: Mapping[str, Sequence[str]]) -> bool:
    """Whether an item that waits on ``code`` (directly or not) has moved on — is neither waiting nor left out —
    so that ``code``, left out by its rules, stays left out: no approved item ever waits on an undecided one.
    ``statuses`` and ``prerequisites`` are by item code (the case's, or a read model's rows)."""
    waiting_on = {c for c, before in prerequisites.items() if code in before}
    seen: set[str] = set()
    while waiting_on:
        current = waiting_on.pop()
        if current in seen:
            continue
        seen.add(current)
        if statuses[current] not in (ItemStatus.WAITING, ItemStatus.NOT_APPLICABLE):
            return True
        waiting_on |= {c for c, before in prerequisites.items() if current in before}
    return False


def check_prerequisites(items: dict[str, ItemState], item: ItemState) -> None:
    """Raise ``PrerequisiteNotMet`` unless every prerequisite of the item is approved (or not needed by this
    case: its rules said it does not apply)."""
    pending = [p for p in item.prerequisites if items[p].status not in CLEARED_ITEM_STATUSES]
    if pending:
        raise errors.PrerequisiteNotMet(
            f"item {item.code!r} waits for the approval of: {', '.join(pending)}"
        )


def check_deficiency(material_defs: dict[str, dict[str, Any]], materials: dict[str, dict[str, Any]], missing: list[str],
                     supplement_due: date, today: date) -> None:
    """Check an acceptance with deficiency: excusable, not yet submitted, due later."""
    if not missing or not isinstance(missing, list):
        raise errors.InvalidValue("name the missing materials")
    if not isinstance(supplement_due, date) or isinstance(supplement_due, datetime):
        raise errors.InvalidValue("the supplement's due date must be a date")
    for key in missing:
        check_material(material_defs, key, field="missing")
        if not material_defs[key]["deficiency_allowed"]:
            raise errors.DeficiencyNotAllowed(f"material {key!r} cannot be supplied later")
        if key in materials:
            raise errors.InvalidValue(f"material {key!r} was submitted already")
    if supplement_due <= today:
        raise errors.InvalidValue("the supplement must be due after today")


def check_rating(score: int) -> None:
    """Raise ``InvalidRating`` unless ``score`` is a whole number from 1 to 5."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise errors.InvalidRating("a rating is a whole number from 1 to 5")


def check_level(level: int) -> None:
    """Raise ``InvalidValue`` unless ``level`` is a supervision level, 1 to TOP_ESCALATION_LEVEL."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= TOP_ESCALATION_LEVEL:
        raise errors.InvalidValue(f"level must be from 1 to {TOP_ESCALATION_LEVEL}")


def check_open_escalation(escalations: Sequence[Escalation], number: int) -> Escalation:
    """Return escalation ``number`` if it exists and is still open."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(escalations):
        raise errors.EscalationNotFound(f"this case has no escalation {number}")
    if not escalations[number - 1].is_open:
        raise errors.EscalationAlreadyResolved(f"escalation {number} is resolved already")
    return escalations[number - 1]
