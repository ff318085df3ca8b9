"""What the intake desk's pages show, in the UI's language: a bundle, its roadmap, a case's receipt."""

from __future__ import annotations

from typing import Any

from flask import url_for

from application.cases.desk import item_dues
from application.common.errors import UserNotFound
from domain.case.due import ItemClock
from domain.catalogue.definitions import BundleDef, prerequisite_order
from domain.catalogue.roadmap import Roadmap
from domain.shared.values import Actor
from web.ui.i18n import is_english, localized_name
from web.ui.urls import services


def _named(thing: Any) -> dict[str, str]:
    return {"name": thing.name, "name_en": getattr(thing, "name_en", "")}


def bundle_context(code: str, version: int | None = None) -> dict[str, Any]:
    """A published bundle (its latest version unless told): names, items and materials, ready to show."""
    definition, number = services().catalogue.definition(code, version)
    names = {item.code: localized_name(_named(item), item.code) for item in definition.items}
    materials = {m.key: localized_name(_named(m), m.key) for m in definition.materials}
    stages = {s.code: localized_name(_named(s), s.code) for s in definition.stages}
    items = [{
        "code": item.code, "name": names[item.code], "department": item.department,
        "stage": None if item.stage is None else stages.get(item.stage),
        "time_limit_days": item.time_limit_days, "statutory_limit_days": item.statutory_limit_days,
        "materials": [materials[key] for key in item.materials],
        "prerequisites": [names[p] for p in item.prerequisites],
        "commitment_allowed": item.commitment_allowed, "inspection": item.inspection,
    } for item in (definition.item(c) for c in prerequisite_order(definition))]
    return {
        "definition": definition, "version": number, "names": names,
        "bundle": {"code": definition.code, "name": localized_name(_named(definition), definition.code),
                   "other_name": definition.name if is_english() else definition.name_en,
                   "category": definition.category, "lead_department": definition.lead_department},
        "items": items, "materials": material_rows(definition, materials, names),
        "questions": [{"key": q.key, "type": q.type, "required": q.required,
                       "options": [("", "—")] + [(c, (q.choice_labels_en if is_english() else q.choice_labels).get(c)
                                                  or q.choice_labels.get(c) or c) for c in q.choices],
                       "label": q.label_en if is_english() and q.label_en else q.label}
                      for q in definition.questions],
    }


def material_rows(definition: BundleDef, materials: dict[str, str], names: dict[str, str]) -> list[dict[str, Any]]:
    """Each material with its name, whether it may be supplied later, and the items that need it."""
    return [{"key": m.key, "name": materials[m.key], "deficiency_allowed": m.deficiency_allowed,
             "used_by": [names[i.code] for i in definition.items if m.key in i.materials]}
            for m in definition.materials]


def roadmap_context(roadmap: Roadmap, names: dict[str, str]) -> dict[str, Any]:
    """The roadmap's items with their place on a bar chart of working days, and the critical path by name."""
    total = max(roadmap.working_days, 1)
    planned = [{
        "item": item, "name": names.get(item.code, item.name),
        "offset": round(100 * (item.end_working_day - item.time_limit_days) / total, 2),
        "width": round(100 * item.time_limit_days / total, 2),
    } for item in roadmap.items]
    return {"roadmap": roadmap, "planned": planned,
            "critical_names": [names.get(code, code) for code in roadmap.critical_path]}


def receipt_context(actor: Actor, case_id: str) -> dict[str, Any]:
    """A case as its receipt shows it: applicant, items with departments and due dates, materials, QR link."""
    svc = services()
    case = svc.cases.reads.get_case(actor, case_id)
    context = bundle_context(case.bundle, case.bundle_version)
    definition: BundleDef = context["definition"]
    names = context["names"]
    dues = item_dues([ItemClock(i.code, str(i.status), i.due, i.time_limit_days, tuple(i.prerequisites))
                      for i in case.items.values()], svc.clock.today(), svc.calendar.after)
    items = [{"code": code, "name": names.get(code, case.items[code].name),
              "department": case.items[code].department, "status": str(case.items[code].status),
              "time_limit_days": case.items[code].time_limit_days, "due": dues[code].due,
              "projected": dues[code].projected}
             for code in prerequisite_order(definition) if code in case.items]
    materials = {row["key"]: row for row in context["materials"]}
    needed = {key for item in case.items.values() if str(item.status) != "not_applicable" for key in item.materials}
    return {
        **context, "case": case, "case_id": str(case.id), "items": items, "case_due": case.due,
        "owner": _display_name(case.owner),
        "received": [{**materials[key], **case.materials[key].to_dict()} for key in materials if key in case.materials],
        "excused": [{**materials[key], "due": case.deficiencies[key]} for key in materials
                    if key in case.deficiencies],
        "missing": [materials[key] for key in materials
                    if key not in case.materials and key not in case.deficiencies and key in needed],
        "progress_url": url_for("ui_public.progress", _external=True),
    }


def _display_name(username: str) -> str:
    try:
        return services().users.view(username).display_name or username
    except UserNotFound:
        return username
