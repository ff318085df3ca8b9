"""The case list, department queues, certificate register and escalations board.

Rows keep what those lists show and search (the applicant's name and credit code are searched and listed);
what only a case's own page shows — material file names, a rating's comment — is read from the case.

One projection keeps these four tables because they change together and share what they know
of a case (its number, applicant, items); each handler touches only the rows its event changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from application.projections.base import Change, ReadModel, Row, ViewSession, handles, required
from domain.case.aggregate import Case
from domain.case.due import AddWorkingDays, ItemClock, projected_due
from domain.case.rules import went_ahead_without
from domain.shared.values import CertificateStatus, MaterialSource

CASES, ITEMS = "rm_cases", "rm_case_items"
REUSED_SOURCES = (MaterialSource.VAULT, MaterialSource.LICENCE)  # given again without the applicant's help
CERTIFICATES, ESCALATIONS = "rm_certificates", "rm_escalations"
OPEN_ITEM_STATUSES = ("waiting", "in_review", "supplement_requested")


def _date(value: Any) -> date | None:
    """An ISO date recorded in an event (certificates of earlier versions record none)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def join(codes: list[str]) -> str:
    """A list of codes as one column (codes never contain commas: see the bundle file schema)."""
    return ",".join(codes)


def split(column: str) -> list[str]:
    """The codes of a ``join``-ed column."""
    return column.split(",") if column else []


@lru_cache(maxsize=1024)
def codes(column: str) -> tuple[str, ...]:
    """``split``, parsed once per distinct column: the item and prerequisite columns repeat across every case of a
    bundle version, and the due date reads them on most events (a tuple: callers share it, so it cannot change)."""
    return tuple(split(column))


class CaseReadModel(ReadModel):
    """Cases → rm_cases, rm_case_items, rm_certificates, rm_escalations."""

    name = "cases"
    applications = ("Cases",)
    tables = (CASES, ITEMS, CERTIFICATES, ESCALATIONS)
    weight = 5.0  # the heaviest: the due dates, the items

    def __init__(self, working_days: Callable[[date, date], int], add_days: AddWorkingDays,
                 timezone: str = "Asia/Shanghai"):
        """``working_days(start, end)`` counts working days after ``start`` up to ``end``; ``add_days(start, n)``
        is the n-th working day after ``start`` (the calendar's, which memoises them and forgets when an
        admin changes the calendar)."""
        self.working_days, self.add_days = working_days, add_days
        self.zone = ZoneInfo(timezone)

    def business_date(self, moment: datetime) -> date:
        """The date of ``moment`` where the service works."""
        return moment.astimezone(self.zone).date()

    def process(self, change: Change, view: ViewSession) -> None:
        event = change.event  # ReadModel.process, written out: this runs once per case event
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(self, change, event, view)
        if not isinstance(event, Case.Opened):  # every later event moves the row's version
            view.update(CASES, (change.key,), version=change.position, updated_at=event.timestamp)

    # Opening and intake -------------------------------------------------------------------------
    @handles(Case.Opened)
    def on_opened(self, change: Change, e: Case.Opened, view: ViewSession) -> None:
        case_id = change.key
        view.insert(CASES, {
            "case_id": case_id, "number": e.number, "bundle": e.bundle, "bundle_version": e.bundle_version,
            "applicant_name": e.applicant["name"], "credit_code": e.applicant["credit_code"],
            "channel": e.channel, "owner": e.actor.user_id, "status": "open", "opened_at": e.timestamp,
            "opened_on": e.opened_on, "closed_at": None, "closed_on": None, "due": None, "version": 1,
            "updated_at": e.timestamp, "supplements": 0, "commitments": 0, "open_escalations": 0,
            "escalations": 0, "rating": None, "cycle_days": None, "on_time": None,
            "materials": 0, "items": join([i["code"] for i in e.items]), "certificates": "",
            "material_keys": "", "materials_uploaded": 0, "materials_reused": 0,
            "pre_review_since": None, "returned_on": None, "deemed_accepted": None, "missing": "",
            "follow_up_due": None, "follow_up_state": None,
        })
        for item in e.items:
            view.insert(ITEMS, {
                "case_id": case_id, "code": item["code"], "case_number": e.number, "bundle": e.bundle,
                "name": item["name"], "department": item["department"], "status": "waiting",
                "essential": item["essential"], "time_limit_days": item["time_limit_days"],
                "prerequisites": ",".join(item["prerequisites"]), "accepted_on": None, "due": None,
                "decided_on": None, "on_time": None, "cycle_days": None, "on_commitment": False, "supplements": 0,
                "opened_at": e.timestamp, "warning": None, "urges": 0, "due_provisional": False, "assignee": None,
                "findings": "[]", "requested": "",
            })
        self._refresh_due(change, view)

    @handles(Case.FiledOnline)
    def on_filed_online(self, change: Change, e: Case.FiledOnline, view: ViewSession) -> None:
        view.update(CASES, (change.key,), status="submitted", pre_review_since=e.on, owner="")

    @handles(Case.IntakeReturned)
    def on_intake_returned(self, change: Change, e: Case.IntakeReturned, view: ViewSession) -> None:
        view.update(CASES, (change.key,), status="returned", returned_on=e.on, missing=join(e.missing))

    @handles(Case.ResubmittedForPreReview)
    def on_resubmitted(self, change: Change, e: Case.ResubmittedForPreReview, view: ViewSession) -> None:
        view.update(CASES, (change.key,), status="submitted", pre_review_since=e.on)

    @handles(Case.IntakeAccepted)
    def on_intake_accepted(self, change: Change, e: Case.IntakeAccepted, view: ViewSession) -> None:
        view.update(CASES, (change.key,), status="open", owner="" if e.deemed else e.actor.user_id,
                    deemed_accepted=e.deemed,
                    missing="")

    @handles(Case.MaterialSubmitted)
    def on_material_submitted(self, change: Change, e: Case.MaterialSubmitted, view: ViewSession) -> None:
        case = self._case(change, view)
        keys = case["material_keys"]
        counter = "materials_reused" if e.source in REUSED_SOURCES else "materials_uploaded"
        if e.key in codes(keys):  # a material submitted again counts once
            view.update(CASES, (change.key,), **{counter: case[counter] + 1})
        else:
            view.update(CASES, (change.key,), **{counter: case[counter] + 1}, materials=len(codes(keys)) + 1,
                        material_keys=f"{keys},{e.key}" if keys else e.key)

    # Review ------------------------------------------------------------------------------------
    @handles(Case.ItemAccepted)
    def on_item_accepted(self, change: Change, e: Case.ItemAccepted, view: ViewSession) -> None:
        self._item(change, e.item, view, status="in_review", accepted_on=e.accepted_on, due=e.due,
                   due_provisional=e.due_provisional)
        self._refresh_due(change, view)

    @handles(Case.ItemClockStarted)
    def on_item_clock_started(self, change: Change, e: Case.ItemClockStarted, view: ViewSession) -> None:
        self._item(change, e.item, view, due=e.due, due_provisional=e.due_provisional)
        self._refresh_due(change, view)

    @handles(Case.SupplementRequested)
    def on_supplement_requested(self, change: Change, e: Case.SupplementRequested, view: ViewSession) -> None:
        item = required(view.get(ITEMS, (change.key, e.item)), f"item {e.item}")
        self._item(change, e.item, view, status="supplement_requested", requested=join(e.materials),
                   supplements=item["supplements"] + 1)
        case = self._case(change, view)
        view.update(CASES, (change.key,), supplements=case["supplements"] + 1)

    @handles(Case.SupplementReceived)
    def on_supplement_received(self, change: Change, e: Case.SupplementReceived, view: ViewSession) -> None:
        self._item(change, e.item, view, status="in_review", due=e.due, due_provisional=e.due_provisional,
                   requested="")
        self._refresh_due(change, view)

    @handles(Case.ItemApproved)
    def on_item_approved(self, change: Change, e: Case.ItemApproved, view: ViewSession) -> None:
        self._decide(change, e.item, "approved", view)

    @handles(Case.ItemApprovedOnCommitment)
    def on_item_approved_on_commitment(self, change: Change, e: Case.ItemApprovedOnCommitment,
                                       view: ViewSession) -> None:
        self._decide(change, e.item, "approved", view, on_commitment=True)
        case = self._case(change, view)
        view.update(CASES, (change.key,), commitments=case["commitments"] + 1)

    @handles(Case.ItemRejected)
    def on_item_rejected(self, change: Change, e: Case.ItemRejected, view: ViewSession) -> None:
        self._decide(change, e.item, "rejected", view)

    @handles(Case.ItemWithdrawn)
    def on_item_withdrawn(self, change: Change, e: Case.ItemWithdrawn, view: ViewSession) -> None:
        self._item(change, e.item, view, status="withdrawn")
        self._refresh_due(change, view)

    @handles(Case.RulesEvaluated)
    def on_rules_evaluated(self, change: Change, e: Case.RulesEvaluated, view: ViewSession) -> None:
        item = required(view.get(ITEMS, (change.key, e.item)), f"item {e.item}")
        found = e.outputs.get("findings") or []
        findings = [str(f) for f in found] if isinstance(found, list) else [str(found)]
        self._item(change, e.item, view, findings=json.dumps(findings, ensure_ascii=False))
        applies = e.outputs.get("applies", True) is not False
        if not applies and item["status"] == "waiting":
            self._item(change, e.item, view, status="not_applicable")
            self._refresh_due(change, view)
        elif applies and item["status"] == "not_applicable" and not self._went_ahead_without(change, e.item, view):
            self._item(change, e.item, view, status="waiting")
            self._refresh_due(change, view)

    @handles(Case.CommitmentRevoked, Case.ApprovalRevoked)
    def on_revoked(self, change: Change, e: Case.CommitmentRevoked | Case.ApprovalRevoked, view: ViewSession) -> None:
        self._item(change, e.item, view, status="rejected")
        if self._case(change, view)["status"] == "open":  # it counts for nothing now; a closed case keeps its date
            self._refresh_due(change, view)
        for number in self._certificates(change, view):
            certificate = required(view.get(CERTIFICATES, (number,)), f"certificate {number}")
            if certificate["item"] == e.item:
                status = (CertificateStatus.REVOKED if certificate["status"] == CertificateStatus.VALID
                          else CertificateStatus.VOID)
                view.update(CERTIFICATES, (number,), status=status.value)

    @handles(Case.ItemTransferred)
    def on_item_transferred(self, change: Change, e: Case.ItemTransferred, view: ViewSession) -> None:
        self._item(change, e.item, view, department=e.to_department, assignee=None)

    @handles(Case.ItemAssigned)
    def on_item_assigned(self, change: Change, e: Case.ItemAssigned, view: ViewSession) -> None:
        self._item(change, e.item, view, assignee=e.reviewer)

    @handles(Case.CertificatesIssued)
    def on_certificates_issued(self, change: Change, e: Case.CertificatesIssued, view: ViewSession) -> None:
        case = self._case(change, view)
        item = view.get(ITEMS, (change.key, e.item))
        department = (item if item is not None else required(item, f"item {e.item}"))["department"]
        issued_on = self.business_date(e.timestamp)
        for certificate in e.certificates:
            view.insert(CERTIFICATES, {
                "department": department, "valid_from": _date(certificate.get("valid_from")) or issued_on,
                "valid_to": _date(certificate.get("valid_to")),
                "number": certificate["number"], "case_id": case["case_id"], "case_number": case["number"],
                "item": e.item, "type": certificate["type"], "name": certificate["name"],
                "holder_name": case["applicant_name"], "holder_code": case["credit_code"],
                "issued_at": e.timestamp, "issued_on": issued_on,
                "status": CertificateStatus.HELD.value,
            })
        numbers = split(case["certificates"]) + [c["number"] for c in e.certificates]
        view.update(CASES, (change.key,), certificates=join(numbers))

    # Closing ------------------------------------------------------------------------------------
    @handles(Case.Completed)
    def on_completed(self, change: Change, e: Case.Completed, view: ViewSession) -> None:
        self._close(change, e, "completed", CertificateStatus.VALID.value, view)

    @handles(Case.CaseRejected)
    def on_case_rejected(self, change: Change, e: Case.CaseRejected, view: ViewSession) -> None:
        self._close(change, e, "rejected", CertificateStatus.VOID.value, view)

    @handles(Case.Withdrawn)
    def on_withdrawn(self, change: Change, e: Case.Withdrawn, view: ViewSession) -> None:
        self._close(change, e, "withdrawn", CertificateStatus.VOID.value, view)

    @handles(Case.Rated)
    def on_rated(self, change: Change, e: Case.Rated, view: ViewSession) -> None:
        view.update(CASES, (change.key,), rating=e.score)

    @handles(Case.RatingFollowUpOpened)
    def on_follow_up_opened(self, change: Change, e: Case.RatingFollowUpOpened, view: ViewSession) -> None:
        view.update(CASES, (change.key,), follow_up_due=e.due, follow_up_state="open")

    @handles(Case.RatingFollowUpClosed)
    def on_follow_up_closed(self, change: Change, e: Case.RatingFollowUpClosed, view: ViewSession) -> None:
        view.update(CASES, (change.key,), follow_up_state="closed")

    # Supervision --------------------------------------------------------------------------------
    @handles(Case.OwnerReassigned)
    def on_owner_reassigned(self, change: Change, e: Case.OwnerReassigned, view: ViewSession) -> None:
        view.update(CASES, (change.key,), owner=e.owner)

    @handles(Case.EscalationOpened)
    def on_escalation_opened(self, change: Change, e: Case.EscalationOpened, view: ViewSession) -> None:
        case = self._case(change, view)
        view.insert(ESCALATIONS, {
            "case_id": case["case_id"], "number": e.number, "case_number": case["number"],
            "bundle": case["bundle"], "level": e.level, "reason": e.reason, "supervisor": e.actor.user_id,
            "opened_at": e.timestamp, "state": "open", "raised_on": None, "resolved_at": None, "resolved_by": None,
            "resolution": None,
        })
        view.update(CASES, (change.key,), open_escalations=case["open_escalations"] + 1,
                    escalations=case["escalations"] + 1)

    @handles(Case.EscalationRaised)
    def on_escalation_raised(self, change: Change, e: Case.EscalationRaised, view: ViewSession) -> None:
        view.update(ESCALATIONS, (change.key, e.number), level=e.level, raised_on=e.raised_on)

    @handles(Case.ItemUrged)
    def on_item_urged(self, change: Change, e: Case.ItemUrged, view: ViewSession) -> None:
        item = view.update(ITEMS, (change.key, e.item))
        item["urges"] += 1

    @handles(Case.DeadlineWarned)
    def on_deadline_warned(self, change: Change, e: Case.DeadlineWarned, view: ViewSession) -> None:
        self._item(change, e.item, view, warning="yellow")

    @handles(Case.DeadlineBreached)
    def on_deadline_breached(self, change: Change, e: Case.DeadlineBreached, view: ViewSession) -> None:
        self._item(change, e.item, view, warning="red")

    @handles(Case.EscalationResolved)
    def on_escalation_resolved(self, change: Change, e: Case.EscalationResolved, view: ViewSession) -> None:
        case = self._case(change, view)
        key = (case["case_id"], e.number)
        required(view.get(ESCALATIONS, key), f"escalation {key}")
        view.update(ESCALATIONS, key, state="closed", resolved_at=e.timestamp, resolved_by=e.actor.user_id,
                    resolution=e.reason)
        view.update(CASES, (change.key,), open_escalations=case["open_escalations"] - 1)

    # Helpers ------------------------------------------------------------------------------------
    def _case(self, change: Change, view: ViewSession) -> Row:
        row = view.get(CASES, (change.key,))  # the message made only when needed: this runs on most events
        return row if row is not None else required(row, f"case {change.key}")

    def _item(self, change: Change, code: str, view: ViewSession, **values: Any) -> Row:
        return view.update(ITEMS, (change.key, code), **values)

    def _items(self, change: Change, view: ViewSession, case: Row | None = None) -> list[Row]:
        """The case's item rows (of ``case``, its row, if the caller has it already)."""
        key = change.key
        return [required(view.get(ITEMS, (key, c)), c) for c in codes((case or self._case(change, view))["items"])]

    def _certificates(self, change: Change, view: ViewSession) -> list[str]:
        return split(self._case(change, view)["certificates"])

    def _went_ahead_without(self, change: Change, code: str, view: ViewSession) -> bool:
        """As the case decides (``domain.case.rules.went_ahead_without``), on the item rows."""
        items = self._items(change, view)
        return went_ahead_without(code, {i["code"]: i["status"] for i in items},
                                  {i["code"]: split(i["prerequisites"]) for i in items})

    def _refresh_due(self, change: Change, view: ViewSession, as_of: date | None = None) -> None:
        """The case's due date following prerequisites, as of the event's day (``domain.case.due``; ``as_of``: that
        day, if the caller has it already)."""
        key, get, clocks = change.key, view.get, []
        case = self._case(change, view)
        for code in codes(case["items"]):  # _items, written out: most decisions come here
            item = required(get(ITEMS, (key, code)), code)
            clocks.append(ItemClock(item["code"], item["status"], item["due"], item["time_limit_days"],
                                    codes(item["prerequisites"])))
        due = projected_due(clocks, as_of or self.business_date(change.event.timestamp), self.add_days)
        if due != case["due"]:  # often the same: then the row stays as it is
            view.update(CASES, (key,), due=due)

    def _decide(self, change: Change, code: str, status: str, view: ViewSession, **values: Any) -> None:
        decided_on = self.business_date(change.event.timestamp)
        item = view.get(ITEMS, (change.key, code))
        item = item if item is not None else required(item, f"item {code}")
        on_time = None if item["due"] is None else decided_on <= item["due"]
        cycle = None if item["accepted_on"] is None else self.working_days(item["accepted_on"], decided_on)
        self._item(change, code, view, status=status, decided_on=decided_on, **values, on_time=on_time,
                   cycle_days=cycle)
        # a rejected item counts for nothing; an approved one holds up nobody
        self._refresh_due(change, view, decided_on)

    def _close(self, change: Change, e: Any, status: str, held_become: str, view: ViewSession) -> None:
        for item in self._items(change, view):
            if item["status"] in OPEN_ITEM_STATUSES:
                self._item(change, item["code"], view, status="withdrawn")
        self._refresh_due(change, view)  # as the case ended: its withdrawn items count for nothing
        for number in self._certificates(change, view):
            certificate = required(view.get(CERTIFICATES, (number,)), f"certificate {number}")
            if certificate["status"] == CertificateStatus.HELD:
                view.update(CERTIFICATES, (number,), status=held_become)
        case = self._case(change, view)
        closed_on = self.business_date(e.timestamp)
        completed = status == "completed"
        cycle = self.working_days(case["opened_on"], closed_on)
        view.update(CASES, (change.key,), status=status, closed_at=e.timestamp, closed_on=closed_on,
                    cycle_days=cycle if completed else None,
                    on_time=(case["due"] is None or closed_on <= case["due"]) if completed else None)
