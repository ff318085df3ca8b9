"""What a notification says, in Chinese and English: one template per key, versioned.

A notification records its template's key and version and the values it was filled with; changing a
template's wording means raising its ``version`` (``tests/application/notifications`` pins the texts of each
version). Values that are lists (material or licence names) are joined as each language joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    """The subject and text of one kind of message, with the values it names."""

    key: str
    version: int
    values: tuple[str, ...]
    subject_zh: str
    subject_en: str
    zh: str
    en: str


@dataclass(frozen=True)
class Rendered:
    """A template filled with values."""

    subject_zh: str
    subject_en: str
    zh: str
    en: str

    def email_subject(self) -> str:
        """The subject line of an e-mail: both languages."""
        return f"{self.subject_zh} / {self.subject_en}"

    def email_body(self) -> str:
        """The body of an e-mail: Chinese, then English."""
        return f"{self.zh}\n\n{self.en}\n\n—— 一件事 OneThing（请勿直接回复本邮件 / please do not reply）\n"


TEMPLATES = {t.key: t for t in (
    Template("accepted", 1, ("case", "bundle"), "申请已受理", "Application accepted",
             "您的申请 {case}（{bundle}）已受理，审批时限自今日起计算。",
             "Your application {case} ({bundle}) has been accepted; its time limits run from today."),
    Template("accepted_deemed", 1, ("case", "bundle"), "申请已受理（逾期视为受理）", "Application deemed accepted",
             "您的申请 {case}（{bundle}）在5个工作日内未获答复，依《行政许可法》第三十二条自动视为受理。",
             "Your application {case} ({bundle}) was not answered within 5 working days and is deemed accepted "
             "(Administrative Licensing Law, art. 32)."),
    Template("returned", 1, ("case", "bundle", "missing", "reason"), "申请需补正", "Application returned",
             "您的申请 {case}（{bundle}）需一次性补正以下材料：{missing}。说明：{reason}",
             "Your application {case} ({bundle}) was returned; please supply all of: {missing}. Note: {reason}"),
    Template("supplement_requested", 1, ("case", "item", "materials", "reason"), "请补充材料",
             "Supplement requested",
             "您的申请 {case} 的事项「{item}」需补充材料：{materials}。说明：{reason}",
             "For {item} of your application {case}, please supply: {materials}. Note: {reason}"),
    Template("item_approved", 1, ("case", "item"), "事项已批准", "Item approved",
             "您的申请 {case} 的事项「{item}」已审批通过。",
             "{item} of your application {case} has been approved."),
    Template("item_approved_on_commitment", 1, ("case", "item"), "事项已告知承诺审批", "Item approved on commitment",
             "您的申请 {case} 的事项「{item}」已按告知承诺审批通过，请按承诺事项履行。",
             "{item} of your application {case} has been approved on your commitment; please keep to it."),
    Template("item_rejected", 1, ("case", "item", "reason"), "事项未予许可", "Item refused",
             "您的申请 {case} 的事项「{item}」未予许可。理由：{reason}",
             "{item} of your application {case} has been refused. Reason: {reason}"),
    Template("case_rejected", 1, ("case", "bundle", "reason"), "申请未予许可", "Application refused",
             "您的申请 {case}（{bundle}）未予许可。理由：{reason}",
             "Your application {case} ({bundle}) has been refused. Reason: {reason}"),
    Template("licences_ready", 1, ("case", "licences"), "电子证照已发放", "Licences ready",
             "您的申请 {case} 已办结，电子证照已发放：{licences}。可在网上办下载。",
             "Your application {case} is complete; your e-licences are ready to download: {licences}."),
    Template("rating_invited", 1, ("case",), "请评价本次服务", "Please rate the service",
             "您的申请 {case} 已办结，欢迎对本次服务作出评价（好差评）。",
             "Your application {case} is closed; please rate the service you received."),
)}

JOIN = {"zh": "、", "en": ", "}
NONE = {"zh": "（无）", "en": "(none)"}


def render(key: str, values: dict[str, Any]) -> Rendered:
    """Fill the template ``key`` with ``values`` (a missing value reads as none; lists joined per language)."""
    template = TEMPLATES[key]
    return Rendered(template.subject_zh, template.subject_en, template.zh.format_map(_as_text(template, values, "zh")),
                    template.en.format_map(_as_text(template, values, "en")))


def _as_text(template: Template, values: dict[str, Any], lang: str) -> dict[str, str]:
    """The template's values as ``lang`` shows them (a value's ``<name>_en``, if given, is its English)."""
    joiner, none, english = JOIN[lang], NONE[lang], lang == "en"
    shown = {}
    for name in template.values:
        value = values.get(name)
        if english:
            value = values.get(f"{name}_en", value)
        if isinstance(value, list):
            value = joiner.join(map(str, value))
        shown[name] = str(value) if value not in (None, "") else none
    return shown
