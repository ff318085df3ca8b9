"""Every case event as one readable sentence, in Chinese and in English (beside each row of a history).

The sentences live in one table, ``TEMPLATES``: event type → (zh, en), each a ``str.format`` pattern over
the event's data, or a small function of it where a word depends on a value. In a pattern, ``{who}`` is
the actor ("amr 审查员 li-amr" / "reviewer li-amr (amr)"), dates read as ISO days, and item codes and
material keys read as their names in Chinese when a ``names`` map knows them (English keeps the codes).
Reasons are not part of the sentence: they are shown beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from domain.shared.values import Actor, Role

Names = Mapping[str, "str | Mapping[str, str]"]  # code → its Chinese name, or {"zh": …, "en": …}

ROLE_WORDS = {Role.INTAKE: ("受理人员", "intake officer"), Role.REVIEWER: ("审查员", "reviewer"),
              Role.SUPERVISOR: ("督办人员", "supervisor"), Role.AUDITOR: ("审计人员", "auditor"),
              Role.APPLICANT: ("申请人", "applicant"),
              Role.ADMIN: ("管理员", "administrator")}
CHANNEL_WORDS = {"window": ("窗口", "at the window"), "online": ("网上", "online"), "mobile": ("移动端", "on mobile"),
                 "assisted-agent": ("帮办代办", "through an assisting agent"),
                 "postal-agent": ("邮帮办", "through a postal agent")}
INSPECTION_WORDS = {"video": ("远程视频勘验", "a remote video inspection"),
                    "onsite": ("现场勘验", "an on-site inspection")}
NAMED_FIELDS = ("item", "key", "missing", "materials", "bundle")  # codes and keys that have names
SYSTEM_PREFIX = "system:"


class Words(dict[str, Any]):
    """One event's data as words of one language, for the templates (a field the data lacks reads "?")."""

    def __init__(self, lang: str, data: Mapping[str, Any], actor: Actor | Mapping[str, Any],
                 names: Names, departments: Names):
        self.lang, self.raw, self.names = lang, data, names
        super().__init__({key: _plain(value, lang) for key, value in data.items()})
        for key in NAMED_FIELDS:  # a code, or a list of codes (Opened's list of material records is no such list)
            value = data.get(key)
            if isinstance(value, str) or isinstance(value, list) and all(isinstance(v, str) for v in value):
                self[key] = self.labels(value, names)
        for key in ("from_department", "to_department"):
            if isinstance(data.get(key), str):
                self[key] = label(departments, data[key], lang)
        self["who"] = who(actor, lang, departments)

    def __missing__(self, key: str) -> str:
        return "?"

    def pick(self, zh: str, en: str) -> str:
        """The word of this language."""
        return zh if self.lang == "zh" else en

    def labels(self, codes: str | Iterable[Any], names: Names) -> str:
        """A code, or a list of codes, by name (Chinese) or code (English)."""
        if isinstance(codes, str):
            return label(names, codes, self.lang)
        return self.pick("、", ", ").join(label(names, str(c), self.lang) for c in codes) or self.pick("无", "none")


Text = str | Callable[[Words], str]


def _provisional(w: Words) -> str:
    return w.pick("（暂定）", " (provisional)") if w.raw.get("due_provisional") else ""


def _opened(zh: bool) -> Callable[[Words], str]:
    def text(w: Words) -> str:
        items = [i for i in w.raw.get("items", []) if isinstance(i, Mapping)]
        names = {**{i["code"]: i.get("name", i["code"]) for i in items if "code" in i}, **w.names}
        listed = w.labels([i.get("code", "?") for i in items], names)
        applicant = (w.raw.get("applicant") or {}).get("name", "?")
        code = w.raw.get("channel")
        channel = (CHANNEL_WORDS[code] if code in CHANNEL_WORDS else (w["channel"], w["channel"]))[0 if zh else 1]
        if zh:
            return (f"{w['who']} 开办了办件 {w['number']}（一件事「{w['bundle']}」第 {w['bundle_version']} 版，"
                    f"申请人 {applicant}，渠道：{channel}），含 {len(items)} 个事项：{listed}")
        return (f"{w['who']} opened case {w['number']} (bundle {w['bundle']} v{w['bundle_version']}, "
                f"applicant {applicant}, {channel}) with {len(items)} items: {listed}")
    return text


def _inspection(w: Words) -> str:
    code = w.raw.get("method")
    method = INSPECTION_WORDS[code] if code in INSPECTION_WORDS else (w["method"], f"a {w['method']} inspection")
    passed = w.pick("通过", "passed") if w.raw.get("passed") else w.pick("未通过", "failed")
    return w.pick(f"{w['who']} 对事项「{w['item']}」进行了{method[0]}：{passed}",
                  f"{w['who']} recorded {method[1]} of item {w['item']}: {passed}")


def _certificates(w: Words) -> str:
    certificates = [c for c in w.raw.get("certificates", []) if isinstance(c, Mapping)]
    zh = "、".join(f"{c.get('number', '?')}（{c.get('name', c.get('type', '?'))}）" for c in certificates)
    en = ", ".join(f"{c.get('number', '?')} ({c.get('type', '?')})" for c in certificates)
    return w.pick(f"{w['who']} 为事项「{w['item']}」出具了证照 {zh or '无'}",
                  f"{w['who']} issued certificate{'s' if len(certificates) != 1 else ''} {en or 'none'} "
                  f"for item {w['item']}")


SOURCE_WORDS = {"upload": ("上传", "uploaded"), "vault": ("取自数字保险箱", "reused from the vault"),
                "licence": ("取自电子证照", "from an e-licence"), "paper": ("纸质留存", "paper on file")}


def _material(w: Words, zh: bool) -> str:
    """A version of a material: which one, from where, and the first characters of its digest."""
    version = w.raw.get("version") or 1
    source = SOURCE_WORDS.get(str(w.raw.get("source") or "paper"), SOURCE_WORDS["paper"])
    digest = str(w.raw.get("sha256") or "")[:12]
    if zh:
        return f"{w['who']} 提交了材料「{w['key']}」第 {version} 版（{w['filename']}，{source[0]}，SHA-256 {digest}…）"
    return f"{w['who']} submitted version {version} of material {w['key']} ({w['filename']}, {source[1]}, " \
           f"SHA-256 {digest}…)"


def _rules(w: Words, zh: bool) -> str:
    """An evaluation of an item's rules: which rule set (its digest), and what it decided."""
    raw_outputs = w.raw.get("outputs")
    outputs: Mapping[str, Any] = raw_outputs if isinstance(raw_outputs, Mapping) else {}
    rule_set = str(w.raw.get("rule_set") or "")[:12]
    applies = outputs.get("applies", True) is not False
    auto = outputs.get("auto_approve") is True
    findings = outputs.get("findings") or []
    count = len(findings) if isinstance(findings, list) else 1
    if zh:
        verdict = ("不适用本件" if not applies else "可即时审批" if auto else "交由人工审查")
        return f"{w['who']} 依规则（{rule_set}…）对事项「{w['item']}」求值：{verdict}，发现 {count} 项"
    verdict = ("does not apply to this case" if not applies else "may be approved at once" if auto
               else "left to people")
    return f"{w['who']} evaluated the rules ({rule_set}…) of item {w['item']}: {verdict}, {count} finding(s)"


def _rated(w: Words) -> str:
    comment = w.raw.get("comment") or ""
    return w.pick(f"{w['who']} 评价了服务：{w['score']} 分" + (f"，评语「{comment}」" if comment else ""),
                  f"{w['who']} rated the service {w['score']} of 5" + (f": “{comment}”" if comment else ""))


def _intake_accepted(w: Words) -> str:
    if w.raw.get("deemed"):
        return w.pick(f"{w['who']} 因受理人员逾期未答复，依《行政许可法》第三十二条记为受理（{w['on']}）",
                      f"{w['who']} recorded the filing accepted by law (行政许可法 art. 32) on {w['on']}: intake had not answered in time")
    return w.pick(f"{w['who']} 预审通过，受理了网上申请（{w['on']}）", f"{w['who']} accepted the online filing on {w['on']}")


def _with_provisional(zh: str, en: str) -> tuple[Text, Text]:
    return (lambda w: zh.format_map(w) + _provisional(w)), (lambda w: en.format_map(w) + _provisional(w))


TEMPLATES: dict[str, tuple[Text, Text]] = {
    "Opened": (_opened(True), _opened(False)),
    "MaterialSubmitted": (lambda w: _material(w, True), lambda w: _material(w, False)),
    "AcceptedWithDeficiency": ("{who} 容缺受理了办件，缺少材料：{missing}，须于 {supplement_due} 前补齐",
                               "{who} accepted the case with deficiency: {missing} missing, due by {supplement_due}"),
    "ItemAccepted": _with_provisional("{who} 受理了事项「{item}」，办理时限至 {due}",
                                      "{who} accepted item {item}; due {due}"),
    "ItemClockStarted": _with_provisional("{who} 在前置事项批准后为事项「{item}」起算时限（{started_on}），"
                                          "办理时限至 {due}",
                                          "{who} started the clock of item {item} on {started_on} after its "
                                          "prerequisites were approved; due {due}"),
    "SupplementRequested": ("{who} 要求补正事项「{item}」的材料：{materials}，自 {paused_on} 起暂停计时",
                            "{who} requested a supplement for item {item} ({materials}); the clock paused on "
                            "{paused_on}"),
    "SupplementReceived": _with_provisional("{who} 收到事项「{item}」的补正材料，办理时限顺延至 {due}",
                                            "{who} received the supplement for item {item}; due {due}"),
    "InspectionRecorded": (_inspection, _inspection),
    "ItemApproved": ("{who} 批准了事项「{item}」", "{who} approved item {item}"),
    "ItemApprovedOnCommitment": ("{who} 依告知承诺批准了事项「{item}」",
                                 "{who} approved item {item} on the applicant's commitment"),
    "CommitmentRevoked": ("{who} 因承诺不实撤销了事项「{item}」的批准及其证照",
                          "{who} revoked the approval on commitment of item {item} and its certificates"),
    "ApprovalRevoked": ("{who} 因前置事项被撤销而撤销了事项「{item}」的批准",
                        "{who} revoked the approval of item {item}, as a prerequisite's approval fell"),
    "ItemRejected": ("{who} 驳回了事项「{item}」", "{who} rejected item {item}"),
    "CertificatesIssued": (_certificates, _certificates),
    "RulesEvaluated": (lambda w: _rules(w, True), lambda w: _rules(w, False)),
    "ItemWithdrawn": ("{who} 撤回了事项「{item}」（不能再获批准）",
                      "{who} withdrew item {item}, which can no longer be approved"),
    "ItemTransferred": ("{who} 将事项「{item}」从 {from_department} 转办至 {to_department}",
                        "{who} transferred item {item} from {from_department} to {to_department}"),
    "ItemAssigned": ("{who} 将事项「{item}」分派给审查员 {reviewer}",
                     "{who} assigned item {item} to reviewer {reviewer}"),
    "Completed": ("{who} 办结了办件，全部证照同时发放",
                  "{who} completed the case; all certificates were released together"),
    "CaseRejected": ("{who} 驳回了办件", "{who} rejected the case"),
    "Withdrawn": ("{who} 应申请人要求撤回了办件", "{who} withdrew the case at the applicant's request"),
    "OwnerReassigned": ("{who} 将首问负责人改为 {owner}", "{who} made {owner} the case's first-contact owner"),
    "EscalationOpened": ("{who} 对办件启动了第 {number} 号督办（{level} 级）",
                         "{who} put the case under supervision: escalation #{number} at level {level}"),
    "EscalationRaised": ("{who} 将第 {number} 号督办提级至 {level} 级（{raised_on}）",
                         "{who} raised escalation #{number} to level {level} on {raised_on}"),
    "EscalationResolved": ("{who} 办结了第 {number} 号督办", "{who} resolved escalation #{number}"),
    "ItemUrged": ("{who} 催办了事项「{item}」", "{who} urged item {item}"),
    "DeadlineWarned": ("{who} 发出预警：事项「{item}」已用 {used_days}/{allowed_days} 个工作日，办理时限至 {due}",
                       "{who} warned that item {item} has used {used_days} of {allowed_days} working days; "
                       "due {due}"),
    "DeadlineBreached": ("{who} 标记事项「{item}」已超期（办理时限为 {due}）",
                         "{who} flagged item {item} overdue (due {due})"),
    "Rated": (_rated, _rated),
    "FiledOnline": ("{who} 在网上提交了申请（{on}），等待预审", "{who} filed the case online on {on}; it waits for "
                    "pre-review"),
    "IntakeAccepted": (_intake_accepted, _intake_accepted),
    "IntakeReturned": ("{who} 退回了网上申请，一次性告知需补齐的材料：{missing}",
                       "{who} returned the online filing, listing everything missing at once: {missing}"),
    "ResubmittedForPreReview": ("{who} 补齐了所列材料，申请重新进入预审（{on}）",
                                "{who} supplied every material listed; the filing is back in pre-review on {on}"),
    "RatingFollowUpOpened": ("{who} 的差评启动了整改回访，须于 {due} 前办结",
                             "{who} gave a poor rating, which opened a follow-up to be closed by {due}"),
    "RatingFollowUpClosed": ("{who} 完成差评整改回访：{return_visit}",
                             "{who} closed the poor rating's follow-up after a return visit: {return_visit}"),
}
FALLBACK: tuple[Text, Text] = ("{who} 记录了事件 {type}", "{who} recorded {type}")


def describe(event_type: str, data: Mapping[str, Any], actor: Actor | Mapping[str, Any],
             names: Names | None = None, departments: Names | None = None) -> dict[str, str]:
    """Describe one case event in a sentence, ``{"zh": …, "en": …}``; an unknown type still reads."""
    templates = TEMPLATES.get(event_type, FALLBACK)
    texts = {}
    for lang, template in zip(("zh", "en"), templates, strict=True):
        words = Words(lang, {**data, "type": event_type} if templates is FALLBACK else data, actor,
                      names or {}, departments or {})
        text = template.format_map(words) if isinstance(template, str) else template(words)
        texts[lang] = text[:1].upper() + text[1:] if lang == "en" else text
    return texts


def describe_history(entries: Iterable[Mapping[str, Any]], departments: Names | None = None) -> list[dict[str, str]]:
    """Describe each entry of ``CaseReads.history``, naming items and materials as the case's Opened did."""
    entries = list(entries)
    names = next((names_in(e["data"]) for e in entries if e["type"] == "Opened"), {})
    return [describe(e["type"], e["data"], e["actor"], names, departments) for e in entries]


def names_in(opened: Mapping[str, Any]) -> dict[str, str]:
    """The names of the items and materials listed in an Opened event's data, by code or key."""
    items = {i["code"]: i["name"] for i in opened.get("items", []) if "code" in i and "name" in i}
    return {**items, **{m["key"]: m["name"] for m in opened.get("materials", []) if "key" in m and "name" in m}}


def who(actor: Actor | Mapping[str, Any], lang: str, departments: Names | None = None) -> str:
    """The actor as the subject of a sentence: "amr 审查员 li-amr" / "reviewer li-amr (amr)"; "系统" / "the system"."""
    if isinstance(actor, Mapping):
        user, role, department = actor.get("user_id", "?"), actor.get("role"), actor.get("department")
    else:
        user, role, department = actor.user_id, actor.role, actor.department
    if str(user).startswith(SYSTEM_PREFIX):
        return "系统" if lang == "zh" else "the system"
    words = ROLE_WORDS.get(Role(role)) if role in set(Role) else None
    unit = label(departments or {}, department, lang) if department else None
    if lang == "zh":
        return " ".join(part for part in (unit, words and words[0], user) if part)
    return " ".join(part for part in (words and words[1], user) if part) + (f" ({unit})" if unit else "")


def label(names: Names, code: str, lang: str) -> str:
    """A code by its name in ``lang`` where ``names`` knows it (a plain name is Chinese), else the code."""
    name = names.get(code)
    if isinstance(name, Mapping):
        return name.get(lang) or code
    return name if name and lang == "zh" else code


def _plain(value: Any, lang: str) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ("、" if lang == "zh" else ", ").join(value)
    return value
