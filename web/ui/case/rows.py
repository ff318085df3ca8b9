"""What the case page shows of a case: plain rows for the template, names in the UI's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_datetime

from application.cases.views import CaseView, ItemView
from domain.catalogue.definitions import BundleDef
from domain.shared.values import CLEARED_ITEM_STATUSES, Actor, ItemStatus, Role
from web.ui.case.actions import holds, offered
from web.ui.i18n import localized_name
from web.ui.urls import services

RUNNING = (ItemStatus.WAITING, ItemStatus.IN_REVIEW, ItemStatus.SUPPLEMENT_REQUESTED)  # a deadline badge applies


def _name(definition: Any, fallback: str) -> str:
    """A definition's name in the UI's language."""
    if definition is None:
        return fallback
    return localized_name({"name": definition.name, "name_en": getattr(definition, "name_en", "")}, fallback)


def _moment(text: str | None) -> str:
    """A recorded moment (ISO 8601 text) as a short date and time in the service's time zone."""
    try:
        return format_datetime(datetime.fromisoformat(str(text)), "short") if text else ""
    except ValueError:
        return str(text)


def case_view(case: CaseView, actor: Actor) -> dict[str, Any]:
    """Everything the case page shows of ``case`` to ``actor``, including the actions offered to them."""
    cases = services().cases
    definition, _ = services().catalogue.definition(case.bundle, case.bundle_version)
    head = cases.reads.chain_head(case.id, case.version)
    items = [_item(case, item, actor, definition) for item in case.items.values()]
    return {
        "case": case, "version": case.version, "status": str(case.status),
        "bundle_name": _name(definition, case.bundle), "due": case.due,
        "chain_head": head, "chain_head_short": head[:12] if head else None,
        "items": items, "acting": [row for row in items if row["actions"]],
        "materials": _materials(case, definition),
        "escalations": [e.to_dict() | {"is_open": e.is_open, "opened": _moment(e.opened_at)} for e in case.escalations],
        "is_auditor": actor.role == Role.AUDITOR,
        "history_url": f"/audit/cases/{case.id}",  # the auditors' timeline (their area builds it)
        "material_options": [(m.key, _name(m, m.key)) for m in definition.materials],
        "department_options": [(code, localized_name(row, code))
                               for code, row in services().queries.departments().items()],
    }


def _item(case: CaseView, item: ItemView, actor: Actor, definition: BundleDef) -> dict[str, Any]:
    defined = {i.code: i for i in definition.items}
    return {
        "code": item.code, "name": _name(defined.get(item.code), item.name), "department": item.department,
        "status": str(item.status), "essential": item.essential, "time_limit_days": item.time_limit_days,
        "prerequisites": [{"code": p, "name": _name(defined.get(p), p),
                           "met": case.items[p].status in CLEARED_ITEM_STATUSES} for p in item.prerequisites],
        "accepted_on": item.accepted_on, "clock_start": item.clock_start, "due": item.due,
        "running": item.status in RUNNING, "due_provisional": item.due_provisional, "assignee": item.assignee,
        "inspection": item.inspection, "inspection_passed": item.inspection_passed,
        "on_commitment": item.on_commitment, "revoked": item.revoked, "commitment_allowed": item.commitment_allowed,
        "certificates": [c.to_dict() for c in item.certificates], "outputs": list(item.outputs), "urges": item.urges,
        "mine": holds(actor, item), "actions": offered(actor, case, item),
        "findings": list(item.findings), "auto_approve": item.auto_approve,
    }


def _materials(case: CaseView, definition: BundleDef) -> list[dict[str, Any]]:
    """Each material the bundle declares: submitted (file, digest, when, by), excused until a date, or missing."""
    needed_by: dict[str, list[str]] = {}
    for item in definition.items:
        for key in item.materials:
            needed_by.setdefault(key, []).append(_name(item, item.code))
    rows = []
    for material in definition.materials:
        submitted = case.materials.get(material.key)
        state = "submitted" if submitted else "deficient" if material.key in case.deficiencies else "missing"
        rows.append({"key": material.key, "name": _name(material, material.key), "state": state,
                     "submitted": submitted, "submitted_at": _moment(submitted.submitted_at) if submitted else "",
                     "supplement_due": case.deficiencies.get(material.key),
                     "deficiency_allowed": material.deficiency_allowed, "needed_by": needed_by.get(material.key, []),
                     "versions": [{"file": f, "at": _moment(f.uploaded_at)} for f in reversed(submitted.files)]
                     if submitted else [],
                     "licence_types": list(material.licence_types)})
    return rows
