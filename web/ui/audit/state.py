"""What the replay and diff panels show: a past state of a case, and the changes between two, in the UI's words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from application.cases.diff import FIELD_WORDS
from application.cases.views import CaseView
from application.common.errors import NotFound
from web.ui.i18n import is_english, status_label
from web.ui.urls import services

# The case's own fields (the items' and escalations' are in case_diff.FIELD_WORDS): (zh, en).
WORDS = {**FIELD_WORDS, "owner": ("首问负责人", "first-contact owner"), "rating": ("评价", "rating"),
         "status": ("状态", "status")}


def names_of(case: CaseView) -> dict[str, str]:
    """Item codes and material keys by name in the UI's language, from the bundle version the case was opened on."""
    english = is_english()
    names = {code: item.name for code, item in case.items.items()}
    names.update({key: str(m.get("name") or key) for key, m in case.material_defs.items()})
    try:
        definition, _version = services().catalogue.definition(case.bundle, case.bundle_version)
    except NotFound:  # a bundle the catalogue no longer has: the names the case recorded
        return names
    entries = [(item.code, item.name, item.name_en) for item in definition.items]
    entries += [(material.key, material.name, material.name_en) for material in definition.materials]
    for code, name, name_en in entries:
        if code and english and name_en:
            names[code] = name_en
        elif code:
            names.setdefault(code, name)
    return names


def case_state(case: CaseView, context: Mapping[str, Any]) -> dict[str, Any]:
    """The case as it stood (a past ``CaseView``) with what applied then (``CaseReads.context_then``)."""
    names = names_of(case)
    limits = {item["code"]: item for item in context["bundle"]["items"]}
    items = [{
        "code": code, "name": names.get(code, code), "department": item.department, "status": str(item.status),
        "accepted_on": item.accepted_on, "due": item.due, "due_provisional": item.due_provisional,
        "paused_on": item.paused_on, "on_commitment": item.on_commitment, "revoked": item.revoked,
        "assignee": item.assignee, "certificates": [c.number or "?" for c in item.certificates],
        "time_limit_days": limits.get(code, {}).get("time_limit_days", item.time_limit_days),
        "prerequisites": [names.get(p, p) for p in limits.get(code, {}).get("prerequisites", item.prerequisites)],
    } for code, item in case.items.items()]
    materials = [{"key": key, "name": names.get(key, key), "filename": m.filename, "by": m.by,
                  "submitted_at": _moment(m.submitted_at)} for key, m in case.materials.items()]
    missing = [{"key": key, "name": names.get(key, key), "due": due} for key, due in case.deficiencies.items()]
    escalations = [{**e.to_dict(), "opened_at": _moment(e.opened_at), "resolved_at": _moment(e.resolved_at)}
                   for e in case.escalations]
    return {"number": case.number, "version": case.version, "status": str(case.status), "owner": case.owner,
            "bundle": case.bundle, "bundle_version": case.bundle_version, "items": items, "materials": materials,
            "missing": missing, "escalations": escalations, "rating": case.rating,
            "calendar": context["calendar"], "context_version": context["bundle"]["version"]}


def diff_rows(diff: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, str]]:
    """Every changed field of ``CaseReads.diff``, one row each: what (a name), which field, from, to."""
    rows = [_row(_("Case"), field, change) for field in ("status", "owner", "rating")
            if (change := diff.get(field))]
    for item in diff.get("items", []):
        rows += [_row(names.get(item["code"], item["code"]), field, change)
                 for field, change in item["changes"].items()]
    for group in ("materials", "deficiencies"):
        section = diff.get(group) or {}
        label = _("Material %(name)s") if group == "materials" else _("Missing material %(name)s")
        for entry in section.get("added", []):
            rows.append({"what": label % {"name": names.get(entry["key"], entry["key"])}, "field": _("added"),
                         "from": "—", "to": _value(entry.get("filename") or entry.get("due"))})
        for entry in section.get("changed", []):
            rows += [_row(label % {"name": names.get(entry["key"], entry["key"])}, field, change)
                     for field, change in entry["changes"].items()]
        for entry in section.get("removed", []):
            rows.append({"what": label % {"name": names.get(entry["key"], entry["key"])}, "field": _("removed"),
                         "from": _value(entry.get("filename") or entry.get("due")), "to": "—"})
    for entry in diff.get("escalations", []):
        what = _("Escalation #%(number)s", number=entry["number"])
        if "opened" in entry:
            rows.append({"what": what, "field": _("opened"), "from": "—",
                         "to": _("level %(level)s", level=entry["opened"].get("level"))})
        elif "removed" in entry:
            rows.append({"what": what, "field": _("removed"), "from": "", "to": "—"})
        else:
            rows += [_row(what, field, change) for field, change in entry["changes"].items()]
    return rows


def _row(what: str, field: str, change: Mapping[str, Any]) -> dict[str, str]:
    words = WORDS.get(field, (field, field.replace("_", " ")))
    return {"what": what, "field": words[1 if is_english() else 0],
            "from": _value(change.get("from"), field), "to": _value(change.get("to"), field)}


def _value(value: Any, field: str = "") -> str:
    """A value of a diff in words."""
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field == "status":
        return status_label(str(value))
    if isinstance(value, list):
        return ", ".join(str(v.get("number", v)) if isinstance(v, Mapping) else str(v) for v in value)
    if isinstance(value, Mapping) and "score" in value:
        return _("%(score)s of 5", score=value["score"]) + (f" ({value['comment']})" if value.get("comment") else "")
    return str(value)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None

