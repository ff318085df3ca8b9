"""The checks a case runs before it records anything. Each raises a named ``DomainError``."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

from domain.shared import errors
from domain.shared.values import CaseStatus, ItemStatus

if TYPE_CHECKING:
    from domain.case.state import ItemState

SHA256 = re.compile(r"[0-9a-fA-F]{64}")
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # NUL, controls, lone surrogates


def is_storable_text(value: str) -> bool:
    """Whether every database OneThing runs on can store ``value`` (PostgreSQL refuses NUL)."""
    return UNSTORABLE.search(value) is None
MAX_TEXT = 2000  # characters in a reason, comment or file name


class CaseGuards:
    """Guards mixed into ``Case``: they read its state and never change it."""

    status: CaseStatus
    items: dict[str, ItemState]
    material_defs: dict[str, dict]
    materials: dict[str, dict]
    deficiencies: dict[str, date]

    def check_open(self) -> None:
        """Raise ``CaseClosed`` unless the case is open."""
        if self.status != CaseStatus.OPEN:
            raise errors.CaseClosed(f"the case is {self.status}; nothing more can be done to it")

    def check_item(self, code: str) -> ItemState:
        """Return the item, or raise ``UnknownItem``."""
        if not isinstance(code, str) or code not in self.items:
            raise errors.UnknownItem(f"this case has no item {code!r}")
        return self.items[code]

    def check_undecided(self, code: str) -> ItemState:
        """Return the open case's item unless it was decided already."""
        self.check_open()
        item = self.check_item(code)
        if item.decided:
            raise errors.ItemAlreadyDecided(f"item {code!r} is {item.status} already")
        return item

    def check_item_status(self, code: str, *allowed: ItemStatus) -> ItemState:
        """Return the open case's item if its status is one of ``allowed``."""
        self.check_open()
        item = self.check_item(code)
        if item.status in allowed:
            return item
        if item.decided and ItemStatus.APPROVED not in allowed:
            raise errors.ItemAlreadyDecided(f"item {code!r} is {item.status} already")
        wanted = " or ".join(str(s) for s in allowed)
        raise errors.WrongItemStatus(f"item {code!r} is {item.status}, not {wanted}")

    def check_material(self, key: str, field: str = "key") -> None:
        """Raise ``UnknownMaterial`` (naming the input ``field``) unless the bundle declares ``key``."""
        if not isinstance(key, str) or key not in self.material_defs:
            error = errors.UnknownMaterial(f"the bundle declares no material {key!r}")
            error.field = field
            raise error

    @staticmethod
    def check_file(filename: str, sha256: str) -> None:
        """Raise ``InvalidValue`` for an empty file name or a malformed SHA-256 digest."""
        if not isinstance(filename, str) or not filename.strip() or len(filename) > MAX_TEXT \
                or not is_storable_text(filename):
            raise errors.InvalidValue("a material needs a file name")
        if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
            raise errors.InvalidValue("sha256 must be 64 hexadecimal characters")

    def check_materials_present(self, item: ItemState, excused_ok: bool) -> None:
        """Raise ``MaterialsMissing`` if the item lacks materials (excused ones count if allowed)."""
        missing = [
            key for key in item.materials
            if key not in self.materials and not (excused_ok and key in self.deficiencies)
        ]
        if missing:
            raise errors.MaterialsMissing(f"item {item.code!r} still needs: {', '.join(missing)}")

    def check_prerequisites(self, item: ItemState) -> None:
        """Raise ``PrerequisiteNotMet`` unless every prerequisite of the item is approved."""
        pending = [p for p in item.prerequisites if self.items[p].status != ItemStatus.APPROVED]
        if pending:
            raise errors.PrerequisiteNotMet(
                f"item {item.code!r} waits for the approval of: {', '.join(pending)}"
            )

    def check_deficiency(self, missing: list[str], supplement_due: date, today: date) -> None:
        """Check an acceptance with deficiency: excusable, not yet submitted, due later."""
        if not missing or not isinstance(missing, list):
            raise errors.InvalidValue("name the missing materials")
        if not isinstance(supplement_due, date) or isinstance(supplement_due, datetime):
            raise errors.InvalidValue("the supplement's due date must be a date")
        for key in missing:
            self.check_material(key, field="missing")
            if not self.material_defs[key]["deficiency_allowed"]:
                raise errors.DeficiencyNotAllowed(f"material {key!r} cannot be supplied later")
            if key in self.materials:
                raise errors.InvalidValue(f"material {key!r} was submitted already")
        if supplement_due <= today:
            raise errors.InvalidValue("the supplement must be due after today")

    @staticmethod
    def check_reason(reason: str) -> None:
        """Raise ``ReasonRequired`` for an empty reason."""
        CaseGuards.check_text(reason, "reason")
        if not reason.strip():
            raise errors.ReasonRequired("this command needs a reason")

    @staticmethod
    def check_text(value: object, name: str) -> None:
        """Raise ``InvalidValue`` unless ``value`` is text of at most MAX_TEXT storable characters."""
        if not isinstance(value, str) or len(value) > MAX_TEXT or not is_storable_text(value):
            raise errors.InvalidValue(f"{name} must be text of at most {MAX_TEXT} characters, "
                                      "without control characters")
