"""What a read of one case returns: frozen views of the case and its parts, built from the aggregate here so
that nothing outside ``application/`` holds a ``Case`` (``CaseReads.get_case``, ``case_as_of``, ``as_saved``).

The views keep the aggregate's attribute names, and add the facts a reader would otherwise derive with the
domain's rules: the case's due date as of the day it is read for, and whether an item's prerequisites are met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.case.aggregate import Case
from domain.case.state import Escalation, ItemState
from domain.shared.values import CLEARED_ITEM_STATUSES, DECIDED_ITEM_STATUSES, CaseStatus, ItemStatus, MaterialSource


@dataclass(frozen=True)
class CertificateView:
    """A certificate an item issued: its number, type and name, and whether it is held, valid, revoked or void."""

    number: str
    type: str
    name: str
    status: str | None = None
    issued_on: str | None = None  # recorded since e-licences; earlier certificates have their event's date
    valid_from: str | None = None
    valid_to: str | None = None  # None: long-term (长期)

    def to_dict(self) -> dict[str, Any]:
        """The certificate as plain data, as the case records it."""
        data: dict[str, Any] = {"number": self.number, "type": self.type, "name": self.name}
        if self.issued_on is not None:
            data.update(issued_on=self.issued_on, valid_from=self.valid_from, valid_to=self.valid_to)
        return data if self.status is None else {**data, "status": self.status}


@dataclass(frozen=True)
class ItemView:
    """One item of the case: what its bundle says of it, how far it has come, and its certificates."""

    code: str
    name: str
    department: str
    time_limit_days: int
    materials: tuple[str, ...]
    prerequisites: tuple[str, ...]
    commitment_allowed: bool
    inspection: str | None
    essential: bool
    outputs: tuple[Mapping[str, str], ...]
    status: ItemStatus
    accepted_on: date | None
    clock_from: date | None  # recorded when its clock started (older snapshots lack it: see ``clock_start``)
    clock_start: date | None  # the day after which its working days count, once its clock started
    due: date | None
    due_provisional: bool
    paused_on: date | None
    inspection_passed: bool | None
    on_commitment: bool
    revoked: bool
    certificates: tuple[CertificateView, ...]
    warned: bool
    breached: bool
    urges: int
    assignee: str | None
    prerequisites_met: bool  # every prerequisite in the case is approved (or not needed by this case)
    findings: tuple[str, ...] = ()  # what the item's rules found, for reviewers and the applicant
    auto_approve: bool = False  # its rules let the system approve it on commitment
    requested: tuple[str, ...] = ()  # the materials a supplement request asks of the applicant
    request_reason: str = ""  # the reviewer's words to the applicant with it
    rejection_reason: str = ""  # why it was rejected, as the applicant is told
    request_any: bool = False  # the supplement request named no material: any of the item's answers it

    @property
    def decided(self) -> bool:
        """Approved, rejected or withdrawn."""
        return self.status in DECIDED_ITEM_STATUSES


@dataclass(frozen=True)
class MaterialFileView:
    """One version of a material: a stored file (uploaded, from the vault, an e-licence) or paper on file."""

    version: int
    filename: str
    sha256: str
    size: int
    media_type: str
    uploaded_at: str
    uploaded_by: str
    source: str
    licence: str

    @property
    def stored(self) -> bool:
        """Whether there are bytes to open (paper kept on file has none)."""
        return self.source != MaterialSource.PAPER

    def to_dict(self) -> dict[str, Any]:
        """The version as the API lists it."""
        data: dict[str, Any] = {
            "version": self.version, "filename": self.filename, "sha256": self.sha256, "size": self.size,
            "media_type": self.media_type, "uploaded_at": self.uploaded_at, "uploaded_by": self.uploaded_by,
            "source": self.source}
        return {**data, "licence": self.licence} if self.licence else data


@dataclass(frozen=True)
class MaterialView:
    """A submitted material: its latest file name and digest, when and by whom, and every version."""

    key: str
    filename: str
    sha256: str
    submitted_at: str
    by: str
    files: tuple[MaterialFileView, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The material as plain data, its key first."""
        return {"key": self.key, "filename": self.filename, "sha256": self.sha256,
                "submitted_at": self.submitted_at, "by": self.by, "files": [f.to_dict() for f in self.files]}


@dataclass(frozen=True)
class EscalationView:
    """A supervision of the case: opened by a supervisor at a level, perhaps resolved."""

    number: int
    level: int
    reason: str
    supervisor: str
    opened_at: str
    resolved_at: str | None
    resolved_by: str | None
    resolution: str | None
    since: date | None

    @property
    def is_open(self) -> bool:
        """Not yet resolved."""
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        """The escalation as plain data, as the case records it."""
        return {"number": self.number, "level": self.level, "reason": self.reason, "supervisor": self.supervisor,
                "opened_at": self.opened_at, "resolved_at": self.resolved_at, "resolved_by": self.resolved_by,
                "resolution": self.resolution, "since": self.since}


@dataclass(frozen=True)
class CaseView:
    """A case as it stands at one version: its header, items, materials, escalations and due date."""

    id: UUID
    number: str
    bundle: str
    bundle_version: int
    version: int
    status: CaseStatus
    channel: str
    applicant: Mapping[str, Any]
    owner: str
    created_on: datetime  # when it was opened (its first event)
    modified_on: datetime  # when its last event at this version was recorded
    opened_on: date
    closed_at: str | None
    due: date | None  # following prerequisites, as of the day it is read for (``CaseReads``)
    items: Mapping[str, ItemView]
    material_defs: Mapping[str, Mapping[str, Any]]
    materials: Mapping[str, MaterialView]
    deficiencies: Mapping[str, date]
    escalations: tuple[EscalationView, ...]
    rating: Mapping[str, Any] | None
    answers: Mapping[str, Any] = field(default_factory=dict)  # to the bundle's questions
    pre_review: Mapping[str, Any] | None = None  # an online filing's pre-review: since, missing, returned, accepted
    follow_up: Mapping[str, Any] | None = None  # a poor rating's follow-up: due, closed, the return visit


def case_view(case: Case, due: date | None) -> CaseView:
    """The view of ``case`` (its own copies: the aggregate is not shared), with its due date ``due``."""
    return CaseView(
        id=case.id, number=case.number, bundle=case.bundle, bundle_version=case.bundle_version,
        version=case.version, status=case.status, channel=case.channel, applicant=dict(case.applicant),
        owner=case.owner, created_on=case.created_on, modified_on=case.modified_on, opened_on=case.opened_on,
        closed_at=case.closed_at, due=due,
        items={code: _item_view(case, item) for code, item in case.items.items()},
        material_defs={key: dict(m) for key, m in case.material_defs.items()},
        materials={key: MaterialView(key=key, filename=m["filename"], sha256=m["sha256"],
                                     submitted_at=m["submitted_at"], by=m["by"],
                                     files=tuple(_file_view(v) for v in case.material_versions.get(key, ())))
                   for key, m in case.materials.items()},
        deficiencies=dict(case.deficiencies),
        escalations=tuple(_escalation_view(e) for e in case.escalations),
        rating=dict(case.rating) if case.rating is not None else None, answers=dict(case.answers),
        pre_review=dict(case.pre_review) if case.pre_review is not None else None,
        follow_up=dict(case.follow_up) if case.follow_up is not None else None,
    )


def applicant_view(view: CaseView) -> CaseView:
    """What an applicant sees of its own case: no supervision (escalations, urging, deadline warnings), no
    assignment to a reviewer, no follow-up of its rating (a supervisor's work), no internal owner."""
    items = {code: replace(item, assignee=None, urges=0, warned=False, breached=False, auto_approve=False)
             for code, item in view.items.items()}
    return replace(view, owner="", items=items, escalations=(), follow_up=None)


def _item_view(case: Case, item: ItemState) -> ItemView:
    met = all(case.items[p].status in CLEARED_ITEM_STATUSES for p in item.prerequisites if p in case.items)
    return ItemView(
        code=item.code, name=item.name, department=item.department, time_limit_days=item.time_limit_days,
        materials=tuple(item.materials), prerequisites=tuple(item.prerequisites),
        commitment_allowed=item.commitment_allowed, inspection=item.inspection, essential=item.essential,
        outputs=tuple(dict(o) for o in item.outputs), status=item.status, accepted_on=item.accepted_on,
        clock_from=item.clock_from, clock_start=item.clock_start, due=item.due, due_provisional=item.due_provisional,
        paused_on=item.paused_on, inspection_passed=item.inspection_passed, on_commitment=item.on_commitment,
        revoked=item.revoked, certificates=tuple(_certificate_view(c) for c in item.certificates),
        warned=item.warned, breached=item.breached, urges=item.urges, assignee=item.assignee,
        prerequisites_met=met, findings=tuple(item.findings), auto_approve=item.auto_approve,
        requested=tuple(item.requested), request_reason=item.request_reason,
        rejection_reason=item.rejection_reason, request_any=item.request_any,
    )


def _file_view(version: Mapping[str, Any]) -> MaterialFileView:
    return MaterialFileView(
        version=version["version"], filename=version["filename"], sha256=version["sha256"], size=version["size"],
        media_type=version["media_type"], uploaded_at=version["submitted_at"], uploaded_by=version["by"],
        source=version["source"], licence=version.get("licence", ""))


def _certificate_view(certificate: Mapping[str, Any]) -> CertificateView:
    return CertificateView(number=certificate["number"], type=certificate["type"], name=certificate["name"],
                           status=certificate.get("status"), issued_on=certificate.get("issued_on"),
                           valid_from=certificate.get("valid_from"), valid_to=certificate.get("valid_to"))


def _escalation_view(escalation: Escalation) -> EscalationView:
    return EscalationView(
        number=escalation.number, level=escalation.level, reason=escalation.reason,
        supervisor=escalation.supervisor, opened_at=escalation.opened_at, resolved_at=escalation.resolved_at,
        resolved_by=escalation.resolved_by, resolution=escalation.resolution, since=escalation.since,
    )
