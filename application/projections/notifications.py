"""Notifications to applicants: each applicant-relevant case event becomes one row of ``rm_notifications``.

Exactly once, because the runner moves its tracking position in the same transaction as the rows; a rebuild
makes the same rows again (the id comes from the case, the event's position and the kind, the time is the
event's), and sends nothing: what was delivered is recorded as ``Delivery`` events (``DeliveryReadModel``
shows them), which the notifier finds by the notification's id. A rebuild renders the texts with the templates
of the running release; the words actually sent stay in the ``Delivery`` events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from hashlib import sha1
from typing import Any
from uuid import NAMESPACE_URL

from application.notifications.templates import TEMPLATES, render
from application.projections.base import Change, ReadModel, Row, ViewSession, handles, required
from domain.case.aggregate import Case
from domain.notification.aggregate import Delivery, DeliveryState

NOTIFY_CASES, NOTIFICATIONS, DELIVERIES = "rm_notify_cases", "rm_notifications", "rm_deliveries"
BundleNames = Callable[[str, int], tuple[str, str]]  # (code, version) -> (name, name in English)


_ID_PREFIX = sha1(NAMESPACE_URL.bytes + b"https://onething.invalid/notification/", usedforsecurity=False)


def notification_id(case_id: str, position: int, kind: str) -> str:
    """The id of the notification of the case's event at ``position`` (one kind per event and position).

    It is ``str(uuid5(NAMESPACE_URL, "https://onething.invalid/notification/{case_id}/{position}/{kind}"))``,
    computed as ``uuid.uuid5`` does but from a SHA-1 state that has hashed the common prefix once, and written
    out from the digest's hex without a ``UUID`` object (a rebuild makes one per notification): the first 16
    bytes, with the version nibble set to 5 and the variant's two top bits to 10.
    """
    digest = _ID_PREFIX.copy()
    digest.update(f"{case_id}/{position}/{kind}".encode())
    h = digest.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {f"{n:x}": f"{0x8 | (n & 0x3):x}" for n in range(16)}  # a hex digit with its top two bits set to 10


class NotificationReadModel(ReadModel):
    """Cases → rm_notifications (and rm_notify_cases: what the texts need of each case)."""

    name = "notifications"
    applications = ("Cases",)
    tables = (NOTIFY_CASES, NOTIFICATIONS)
    weight = 2.5

    def __init__(self, bundle_names: BundleNames = lambda code, version: (code, code)):
        self.bundle_names = bundle_names
        self._names: dict[tuple[str, int], tuple[str, str]] = {}  # published versions never change

    @handles(Case.Opened)
    def on_opened(self, change: Change, e: Case.Opened, view: ViewSession) -> None:
        key = (e.bundle, e.bundle_version)
        if key not in self._names:
            self._names[key] = self.bundle_names(*key)
        name, name_en = self._names[key]
        view.insert(NOTIFY_CASES, {
            "case_id": change.key, "number": e.number, "credit_code": (e.applicant.get("credit_code") or ""),
            "bundle_code": e.bundle, "bundle": name, "bundle_en": name_en,
            "items": _dumps({i["code"]: i["name"] for i in e.items}),
            "materials": _dumps({m["key"]: m["name"] for m in e.materials}), "licences": NO_LICENCES,
        })

    @handles(Case.SupplementRequested)
    def on_supplement(self, change: Change, e: Case.SupplementRequested, view: ViewSession) -> None:
        case = _case(view, change)
        self.notify(view, change, case, "supplement_requested", "supplement_requested", {
            "item": _name(case, "items", e.item), "materials": [_name(case, "materials", m) for m in e.materials],
            "reason": e.reason})

    @handles(Case.ItemApproved)
    def on_approved(self, change: Change, e: Case.ItemApproved, view: ViewSession) -> None:
        case = _case(view, change)
        self.notify(view, change, case, "decided", "item_approved", {"item": _name(case, "items", e.item)})

    @handles(Case.ItemApprovedOnCommitment)
    def on_approved_on_commitment(self, change: Change, e: Case.ItemApprovedOnCommitment, view: ViewSession) -> None:
        case = _case(view, change)
        self.notify(view, change, case, "decided", "item_approved_on_commitment",
                    {"item": _name(case, "items", e.item)})

    @handles(Case.ItemRejected)
    def on_rejected(self, change: Change, e: Case.ItemRejected, view: ViewSession) -> None:
        case = _case(view, change)
        self.notify(view, change, case, "decided", "item_rejected",
                    {"item": _name(case, "items", e.item), "reason": e.reason})

    @handles(Case.CertificatesIssued)
    def on_issued(self, change: Change, e: Case.CertificatesIssued, view: ViewSession) -> None:
        case = _case(view, change)
        licences = _with_licences(case["licences"], e.item, tuple(c["name"] for c in e.certificates))
        view.update(NOTIFY_CASES, (change.key,), licences=licences)

    @handles(Case.CommitmentRevoked, Case.ApprovalRevoked)
    def on_revoked(self, change: Change, e: Case.ItemEvent, view: ViewSession) -> None:
        case = _case(view, change)
        licences = json.loads(case["licences"])
        if licences.pop(e.item, None) is not None:
            view.update(NOTIFY_CASES, (change.key,), licences=_dumps(licences))

    @handles(Case.Completed)
    def on_completed(self, change: Change, e: Case.Completed, view: ViewSession) -> None:
        case = _case(view, change)
        licences = _licence_names(case["licences"])
        if licences:
            self.notify(view, change, case, "licences_ready", "licences_ready", {"licences": list(licences)})
        self.notify(view, change, case, "rating_invited", "rating_invited", {})

    @handles(Case.CaseRejected)
    def on_case_rejected(self, change: Change, e: Case.CaseRejected, view: ViewSession) -> None:
        case = _case(view, change)
        self.notify(view, change, case, "decided", "case_rejected", {"reason": e.reason})
        self.notify(view, change, case, "rating_invited", "rating_invited", {})

    # Online filing's pre-review (网上预审)
    @handles(Case.IntakeAccepted)
    def on_intake_accepted(self, change: Change, e: Case.IntakeAccepted, view: ViewSession) -> None:
        """The filing was accepted (by intake, or deemed accepted after 5 working days, 行政许可法 art. 32)."""
        case = _case(view, change)
        self.notify(view, change, case, "accepted", "accepted_deemed" if e.deemed else "accepted", {})

    @handles(Case.IntakeReturned)
    def on_intake_returned(self, change: Change, e: Case.IntakeReturned, view: ViewSession) -> None:
        """The filing was returned with everything missing listed at once (一次性告知)."""
        case = _case(view, change)
        missing = [_name(case, "materials", key) for key in e.missing]
        self.notify(view, change, case, "returned", "returned", {"missing": missing, "reason": e.reason})

    # Writing ------------------------------------------------------------------------------------
    def notify(self, view: ViewSession, change: Change, case: Row, kind: str, template: str,
               values: dict[str, Any]) -> None:
        """Record one notification of ``kind`` for the case's enterprise (cases without one tell nobody)."""
        if not case["credit_code"]:
            return
        values = {"case": case["number"], "bundle": case["bundle"], "bundle_en": case["bundle_en"], **values}
        text = render(template, values)
        view.insert(NOTIFICATIONS, {
            "id": notification_id(change.key, change.position, kind), "kind": kind, "case_id": change.key,
            "case_number": case["number"], "credit_code": case["credit_code"], "bundle": case["bundle_code"],
            "template": template,
            "template_version": TEMPLATES[template].version, "template_values": _dumps(values),
            "subject_zh": text.subject_zh, "subject_en": text.subject_en, "text_zh": text.zh, "text_en": text.en,
            "created_at": change.event.timestamp, "position": change.notification_id,
        })


class DeliveryReadModel(ReadModel):
    """Notifications (the ``Delivery`` events) → rm_deliveries: each delivery's state and attempts."""

    name = "deliveries"
    applications = ("Notifications",)
    tables = (DELIVERIES,)

    @handles(Delivery.Queued)
    def on_queued(self, change: Change, e: Delivery.Queued, view: ViewSession) -> None:
        inbox = e.channel == "inbox"
        view.insert(DELIVERIES, {
            "delivery_id": change.key, "notification": e.notification, "kind": e.kind,
            "case_number": e.case_number, "credit_code": e.credit_code, "channel": e.channel,
            "recipient": e.recipient, "address": masked(e.address),
            "state": str(DeliveryState.SENT if inbox else DeliveryState.PENDING), "attempts": int(inbox),
            "next_attempt_at": None if inbox else e.at, "last_error": "", "queued_at": e.at, "updated_at": e.at,
        })

    @handles(Delivery.AttemptStarted)
    def on_attempt(self, change: Change, e: Delivery.AttemptStarted, view: ViewSession) -> None:
        view.update(DELIVERIES, (change.key,), state=str(DeliveryState.SENDING), attempts=e.attempt,
                    updated_at=e.at)

    @handles(Delivery.Sent)
    def on_sent(self, change: Change, e: Delivery.Sent, view: ViewSession) -> None:
        view.update(DELIVERIES, (change.key,), state=str(DeliveryState.SENT), next_attempt_at=None, updated_at=e.at)

    @handles(Delivery.AttemptFailed)
    def on_failed(self, change: Change, e: Delivery.AttemptFailed, view: ViewSession) -> None:
        state = DeliveryState.FAILED if e.next_attempt_at is None else DeliveryState.RETRYING
        view.update(DELIVERIES, (change.key,), state=str(state), next_attempt_at=e.next_attempt_at,
                    last_error=e.error, updated_at=e.at)

    @handles(Delivery.RetryRequested)
    def on_retry(self, change: Change, e: Delivery.RetryRequested, view: ViewSession) -> None:
        view.update(DELIVERIES, (change.key,), state=str(DeliveryState.RETRYING), next_attempt_at=e.at,
                    updated_at=e.at)


def masked(address: str) -> str:
    """An address as supervisors see it: enough to tell two apart, not enough to write to."""
    if not address:
        return ""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) > 7 else "****"


def _case(view: ViewSession, change: Change) -> Row:
    row = view.get(NOTIFY_CASES, (change.key,))  # the message made only when needed
    return row if row is not None else required(row, f"notification case {change.key}")


def _name(case: Row, what: str, key: str) -> str:
    return str(_names(case[what]).get(key, key))


@lru_cache(maxsize=256)
def _names(column: str) -> dict[str, str]:
    """A ``_dumps``-ed names column, parsed once: every case of a bundle version has the same (never changed:
    callers only read it)."""
    names: dict[str, str] = json.loads(column)
    return names


@lru_cache(maxsize=1024)
def _with_licences(column: str, item: str, names: tuple[str, ...]) -> str:
    """The ``licences`` column with ``item``'s licence names set: worked out once per distinct column and
    certificates (cases of a bundle issue the same licences, in the same order)."""
    return _dumps({**json.loads(column), item: list(names)})


@lru_cache(maxsize=1024)
def _licence_names(column: str) -> tuple[str, ...]:
    """Every licence name of a ``licences`` column, item by item (parsed once per distinct column)."""
    return tuple(name for names in json.loads(column).values() for name in names)


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # json.dumps with options makes one per call


def _dumps(value: Any) -> str:
    """As ``json.dumps(value, ensure_ascii=False, sort_keys=True)``."""
    return _ENCODER.encode(value)


NO_LICENCES = _dumps({})
