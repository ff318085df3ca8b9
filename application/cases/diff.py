"""What changed in a case between two of its states (e.g. two versions read with ``CaseReads.get_case``).

``diff_cases`` returns JSON-ready data: every key is always there, holding only what differs (``None`` or
empty lists when nothing did); dates read as ISO strings. ``summarize_diff`` turns it into lines in Chinese
and English, one per change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from domain.case.aggregate import Case

ITEM_FIELDS = ("status", "department", "assignee", "accepted_on", "clock_start", "due", "due_provisional",
               "paused_on", "inspection_passed", "on_commitment", "revoked", "certificates", "warned", "breached",
               "urges")
ESCALATION_FIELDS = ("level", "reason", "supervisor", "opened_at", "resolved_at", "resolved_by", "resolution",
                     "since")

Change = dict[str, Any]  # {"from": …, "to": …}


def diff_cases(before: Case, after: Case) -> dict[str, Any]:
    """Return what differs between two states of one case, from ``before`` to ``after``."""
    if before.id != after.id:
        raise ValueError(f"case {before.number} and case {after.number} are two cases, not two states of one")
    return {
        "from_version": before.version, "to_version": after.version,
        "status": _change(before.status, after.status),
        "owner": _change(before.owner, after.owner),
        "items": _items(before, after),
        "materials": _keyed(before.materials, after.materials),
        "deficiencies": _keyed({k: {"due": d} for k, d in before.deficiencies.items()},
                               {k: {"due": d} for k, d in after.deficiencies.items()}),
        "escalations": _escalations(before, after),
        "rating": _change(before.rating, after.rating),
    }


def _items(before: Case, after: Case) -> list[dict[str, Any]]:
    items = []
    for code in [*after.items, *(c for c in before.items if c not in after.items)]:
        was, now = before.items.get(code), after.items.get(code)
        changes = _changes({f: getattr(was, f, None) for f in ITEM_FIELDS},
                           {f: getattr(now, f, None) for f in ITEM_FIELDS})
        if changes:
            items.append({"code": code, "changes": changes})
    return items


def _keyed(before: Mapping[str, Mapping[str, Any]],
           after: Mapping[str, Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Entries by key: added, changed (field by field) and removed."""
    changed = [{"key": k, "changes": c} for k in after if k in before and (c := _changes(before[k], after[k]))]
    return {"added": [{"key": k, **_json(dict(after[k]))} for k in after if k not in before],
            "changed": changed,
            "removed": [{"key": k, **_json(dict(before[k]))} for k in before if k not in after]}


def _escalations(before: Case, after: Case) -> list[dict[str, Any]]:
    was = {e.number: e.to_dict() for e in before.escalations}
    now = {e.number: e.to_dict() for e in after.escalations}
    entries: list[dict[str, Any]] = []
    for number in sorted({*was, *now}):
        if number not in was:
            entries.append({"number": number, "opened": _json(now[number])})
        elif number not in now:
            entries.append({"number": number, "removed": _json(was[number])})
        elif changes := _changes(_pick(was[number], ESCALATION_FIELDS), _pick(now[number], ESCALATION_FIELDS)):
            entries.append({"number": number, "changes": changes})
    return entries


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Change]:
    fields = [*after, *(f for f in before if f not in after)]
    return {f: c for f in fields if (c := _change(before.get(f), after.get(f))) is not None}


def _change(before: Any, after: Any) -> Change | None:
    before, after = _json(before), _json(after)
    return None if before == after else {"from": before, "to": after}


def _pick(data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: data.get(f) for f in fields}


def _json(value: Any) -> Any:
    """The value as JSON-ready data: dates as ISO strings, enumerations as their values, copies of containers."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


# Summary ------------------------------------------------------------------------------------------------
Pair = tuple[str, str]  # (zh, en)

ITEM_STATUS_WORDS = {"waiting": ("待受理", "waiting"), "in_review": ("审查中", "in review"),
                     "supplement_requested": ("待补正", "supplement requested"), "approved": ("已批准", "approved"),
                     "rejected": ("已驳回", "rejected"), "withdrawn": ("已撤回", "withdrawn")}
CASE_STATUS_WORDS = {"open": ("办理中", "open"), "completed": ("已办结", "completed"),
                     "rejected": ("已驳回", "rejected"), "withdrawn": ("已撤回", "withdrawn")}
CERTIFICATE_STATUS_WORDS = {"held": ("待发放", "held"), "valid": ("有效", "valid"), "revoked": ("已撤销", "revoked"),
                            "void": ("作废", "void")}
FIELD_WORDS = {
    "status": ("状态", "status"), "department": ("承办部门", "department"), "assignee": ("承办审查员", "assignee"),
    "accepted_on": ("受理日期", "accepted on"), "clock_start": ("时限起算日", "clock start"),
    "due": ("办理时限", "due"), "due_provisional": ("时限暂定", "due date provisional"),
    "paused_on": ("暂停计时日", "paused on"), "inspection_passed": ("勘验通过", "inspection passed"),
    "on_commitment": ("告知承诺", "on commitment"), "revoked": ("已撤销", "revoked"),
    "certificates": ("证照", "certificates"), "warned": ("已预警", "warned"), "breached": ("已超期", "breached"),
    "urges": ("催办次数", "urges"), "level": ("级别", "level"), "reason": ("督办事由", "reason"),
    "supervisor": ("督办人员", "supervisor"), "opened_at": ("启动时间", "opened at"),
    "resolved_at": ("办结时间", "resolved at"), "resolved_by": ("办结人", "resolved by"),
    "resolution": ("办结意见", "resolution"), "since": ("本级起始日", "level since"),
    "filename": ("文件名", "file name"), "sha256": ("摘要", "digest"), "submitted_at": ("提交时间", "submitted at"),
    "by": ("提交人", "submitted by"), "version": ("版本", "version"), "size": ("大小（字节）", "size (bytes)"),
    "media_type": ("文件类型", "file type"), "source": ("来源", "source"), "licence": ("电子证照", "e-licence"),
}


def summarize_diff(diff: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return the diff's changes as readable lines, ``{"zh": [...], "en": [...]}``, in the same order."""
    pairs: list[Pair] = []
    for section in (_case_lines, _item_lines, _material_lines, _deficiency_lines, _escalation_lines):
        pairs.extend(section(diff))
    return {"zh": [zh for zh, _ in pairs], "en": [en for _, en in pairs]}


def _case_lines(diff: Mapping[str, Any]) -> list[Pair]:
    pairs = []
    if diff.get("status"):
        pairs.append(_arrow(("办件状态", "case status"), diff["status"], CASE_STATUS_WORDS))
    if diff.get("owner"):
        pairs.append(_arrow(("首问负责人", "first-contact owner"), diff["owner"]))
    if diff.get("rating"):
        pairs.append(_arrow(("评价", "rating"), diff["rating"]))
    return pairs


def _item_lines(diff: Mapping[str, Any]) -> list[Pair]:
    return [_arrow(_named(f"事项「{item['code']}」", f"item {item['code']}", field), change,
                   ITEM_STATUS_WORDS if field == "status" else None)
            for item in diff.get("items", []) for field, change in item["changes"].items()]


def _material_lines(diff: Mapping[str, Any]) -> list[Pair]:
    materials = diff.get("materials") or {}
    pairs = [(f"材料「{m['key']}」已提交（{m.get('filename', '?')}）",
              f"material {m['key']} submitted ({m.get('filename', '?')})") for m in materials.get("added", [])]
    pairs += [_arrow(_named(f"材料「{m['key']}」", f"material {m['key']}", field), change)
              for m in materials.get("changed", []) for field, change in m["changes"].items()]
    pairs += [(f"材料「{m['key']}」不再在案", f"material {m['key']} no longer on file")
              for m in materials.get("removed", [])]
    return pairs


def _deficiency_lines(diff: Mapping[str, Any]) -> list[Pair]:
    deficiencies = diff.get("deficiencies") or {}
    pairs = [(f"材料「{d['key']}」容缺受理，须于 {d.get('due')} 前补齐",
              f"material {d['key']} accepted as missing; due by {d.get('due')}") for d in deficiencies.get("added", [])]
    pairs += [_arrow((f"容缺材料「{d['key']}」补齐期限", f"missing material {d['key']} due"), d["changes"]["due"])
              for d in deficiencies.get("changed", []) if "due" in d["changes"]]
    pairs += [(f"容缺材料「{d['key']}」已补齐", f"missing material {d['key']} supplied")
              for d in deficiencies.get("removed", [])]
    return pairs


def _escalation_lines(diff: Mapping[str, Any]) -> list[Pair]:
    pairs: list[Pair] = []
    for entry in diff.get("escalations", []):
        number = entry["number"]
        if "opened" in entry:
            level = entry["opened"].get("level")
            pairs.append((f"第 {number} 号督办启动（{level} 级）", f"escalation #{number} opened at level {level}"))
        elif "removed" in entry:
            pairs.append((f"第 {number} 号督办不再在案", f"escalation #{number} no longer on file"))
        else:
            pairs += [_arrow(_named(f"第 {number} 号督办", f"escalation #{number}", field), change)
                      for field, change in entry["changes"].items()]
    return pairs


def _named(zh: str, en: str, field: str) -> Pair:
    words = FIELD_WORDS.get(field, (field, field.replace("_", " ")))
    return f"{zh}{words[0]}", f"{en} {words[1]}"


def _arrow(subject: Pair, change: Mapping[str, Any], vocabulary: Mapping[str, Pair] | None = None) -> Pair:
    def line(lang: int) -> str:
        was, now = (_words(change.get(end), lang, vocabulary) for end in ("from", "to"))
        return f"{subject[lang]}{('：', ': ')[lang]}{was} → {now}"
    return line(0), line(1)


def _words(value: Any, lang: int, vocabulary: Mapping[str, Pair] | None = None) -> str:
    """A value of the diff as words: ``lang`` 0 is Chinese, 1 English."""
    if value is None:
        return ("无", "none")[lang]
    if isinstance(value, bool):
        return (("否", "no"), ("是", "yes"))[value][lang]
    if vocabulary and value in vocabulary:
        return vocabulary[value][lang]
    if isinstance(value, Mapping) and "score" in value:  # a rating
        comment = value.get("comment")
        text = (f"{value['score']} 分", f"{value['score']} of 5")[lang]
        return text + ((f"（{comment}）", f" ({comment})")[lang] if comment else "")
    if isinstance(value, list):  # certificates
        return ("、", ", ")[lang].join(_certificate(c, lang) for c in value) or ("无", "none")[lang]
    return str(value)


def _certificate(certificate: Any, lang: int) -> str:
    if not isinstance(certificate, Mapping):
        return str(certificate)
    code = certificate.get("status")
    status = CERTIFICATE_STATUS_WORDS[code][lang] if code in CERTIFICATE_STATUS_WORDS else code
    return f"{certificate.get('number', '?')}" + (f"（{status}）", f" ({status})")[lang]
