"""The parts of a case's state that are more than a value: its items and escalations."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any

from domain.catalogue.definitions import ItemDef
from domain.shared.values import DECIDED_ITEM_STATUSES, ItemStatus


@dataclass
class ItemState:
    """One item of a case: what the bundle says of it, and how far it has come."""

    code: str
    name: str
    department: str
    time_limit_days: int
    materials: list[str]
    prerequisites: list[str]
    commitment_allowed: bool
    inspection: str | None
    essential: bool
    outputs: list[dict[str, Any]]  # type, name, and (later bundles) issued_on_approval, valid_years
    status: ItemStatus = ItemStatus.WAITING
    accepted_on: date | None = None
    clock_from: date | None = None  # its working days count after this day: accepted, or prerequisites approved
    due: date | None = None
    due_provisional: bool = False  # computed in a year the calendar does not know: Monday–Friday assumed
    paused_on: date | None = None
    inspection_passed: bool | None = None
    on_commitment: bool = False
    revoked: bool = False
    certificates: list[dict[str, Any]] = field(default_factory=list)
    warned: bool = False  # 80 % of its working time used (yellow), recorded once
    breached: bool = False  # overdue (red), recorded once
    urges: int = 0  # times a supervisor urged it (催办)
    assignee: str | None = None  # the reviewer whose desk it is on, once a supervisor assigned it
    findings: list[str] = field(default_factory=list)  # what its rules found, for reviewers and the applicant
    auto_approve: bool = False  # its rules allow the system to approve it on commitment
    rules_digest: str | None = None  # the rule set and inputs of its last evaluation (none is recorded twice)
    # While a supplement is requested: each material asked for → how many versions it had when asked; the
    # applicant answers by uploading a newer version of each. And the reviewer's words to the applicant.
    requested: dict[str, int] = field(default_factory=dict)
    request_reason: str = ""
    request_any: bool = False  # the request named no material: a new version of any of the item's answers it
    rejection_reason: str = ""  # why it was rejected: the applicant is told (不予许可 with reasons)

    @classmethod
    def from_definition(cls, item: ItemDef) -> ItemState:
        """Start an item, waiting, from its definition."""
        return cls(
            code=item.code, name=item.name, department=item.department,
            time_limit_days=item.time_limit_days, materials=list(item.materials),
            prerequisites=list(item.prerequisites), commitment_allowed=item.commitment_allowed,
            inspection=item.inspection, essential=item.essential,
            outputs=[{"type": o.type, "name": o.name, "issued_on_approval": o.issued_on_approval,
                      "valid_years": o.valid_years} for o in item.outputs],
        )

    @property
    def clock_start(self) -> date | None:
        """The day after which its working days count, once its clock started (older snapshots lack
        ``clock_from``: their clocks all started on acceptance)."""
        return self.clock_from or self.accepted_on

    @property
    def decided(self) -> bool:
        """Approved, rejected or withdrawn."""
        return self.status in DECIDED_ITEM_STATUSES

    @property
    def finished(self) -> bool:
        """Decided, and if approved, with every certificate it issues."""
        if self.status == ItemStatus.APPROVED:
            return bool(self.certificates) or not self.outputs
        return self.decided

    def to_dict(self) -> dict[str, Any]:
        """Return the item as plain data (snapshots, JSON): what ``dataclasses.asdict`` gives, made without its
        deep copies of values that cannot change (every case opened builds one per item)."""
        return {name: _plain(getattr(self, name)) for name in ITEM_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemState:
        """Rebuild an item from ``to_dict`` data."""
        return cls(**{**data, "status": ItemStatus(data["status"])})


ITEM_FIELDS = tuple(f.name for f in fields(ItemState))
IMMUTABLE = (str, int, float, bool, type(None), date, ItemStatus)


def _plain(value: Any) -> Any:
    """``value`` with its lists, tuples and dicts copied, as ``dataclasses.asdict`` copies them."""
    if isinstance(value, IMMUTABLE):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_plain(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return copy.deepcopy(value)


@dataclass
class Escalation:
    """A supervision of the case: opened by a supervisor at a level, later resolved."""

    number: int
    level: int
    reason: str
    supervisor: str
    opened_at: str
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    since: date | None = None  # the business day it was opened or last raised a level

    @property
    def is_open(self) -> bool:
        """Not yet resolved."""
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        """Return the escalation as plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Escalation:
        """Rebuild an escalation from ``to_dict`` data."""
        return cls(**{**data, "since": date.fromisoformat(data["since"]) if isinstance(data.get("since"), str)
                      else data.get("since")})
