"""The read side: lists, queues, boards, KPIs and the audit log, with who may see what.

Every query reads projected tables (never replays aggregates in a loop). A caller that has just
written passes what the command returned (``after=``), and the query first waits for the
projections to include that write (read-your-writes).
"""

from __future__ import annotations

import json

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from application.common.access import READERS, require_queue_reader, require_role
from application.common.changes import Saved
from application.common.clock import Clock
from application.common.errors import NotAllowed, NotFound
from application.common.page import Page, Row
from application.supervision.kpis import bundle_kpis, department_kpis
from domain.shared.values import Actor, CertificateStatus, Role

PUBLIC_CERTIFICATE_STATUSES = (CertificateStatus.VALID, CertificateStatus.REVOKED)


class ReadModelStore(Protocol):
    """What the queries need of the read-model tables (``infrastructure.readmodels.queries``); the deadline
    tick and the command line reach the last two through ``Queries.store``."""

    def case_list(self, *, today: date, text: str = ..., number: str = ..., credit_code: str = ...,
                  bundle: str = ..., status: str = ..., department: str = ..., overdue: bool | None = ...,
                  page: int = ..., per_page: int = ...) -> Page: ...
    def case_items(self, case_id: str) -> list[Row]: ...
    def queue(self, department: str) -> list[Row]: ...
    def queue_counts(self, department: str) -> dict[str, int]: ...
    def escalations(self, state: str = "") -> list[Row]: ...
    def certificate(self, number: str) -> Row | None: ...
    def audit_log(self, *, actor: str = ..., department: str = ..., case_id: str = ...,
                  since: datetime | None = ..., until: datetime | None = ...,
                  page: int = ..., per_page: int = ...) -> Page: ...
    def kpi_cases(self) -> list[Row]: ...
    def kpi_items(self) -> list[Row]: ...
    def bundles(self) -> list[Row]: ...
    def departments(self) -> list[Row]: ...
    def all_case_ids(self) -> list[str]: ...  # for the command line's what-if over every case
    def cases_to_check(self) -> list[str]: ...  # for the deadline tick


class Queries:
    """Read models, as each role may see them."""

    def __init__(self, store: ReadModelStore, clock: Clock, wait_for: Callable[[str, int | None], None],
                 lag: Callable[[], list[Any]] = list, catch_up: Callable[[], Any] = lambda: None):
        self.store, self.clock, self.wait_for, self.lag = store, clock, wait_for, lag
        self.catch_up = catch_up

    def projection_lag(self, actor: Actor) -> list[Row]:
        """Each read model's position in each event log and how many events it is behind (admins)."""
        require_role(actor, "projection lag", Role.ADMIN)
        return [{"projection": lag.projection, "application": lag.application, "position": lag.position,
                 "behind": lag.behind} for lag in self.lag()]

    def _after(self, saved: Saved | int | None) -> None:
        """Catch up to a write: a command's result, or the notification id of the caller's last write."""
        if isinstance(saved, Saved):
            self.wait_for("Cases", saved.notification_id)
        elif isinstance(saved, int):
            self.wait_for("Cases", saved)

    def case_list(self, actor: Actor, after: Saved | int | None = None, **filters: Any) -> Page:
        """Cases matching the filters; a reviewer sees only cases with an item of their department."""
        self._after(after)
        if actor.role == Role.REVIEWER:
            filters["department"] = actor.department
        elif actor.role not in READERS:
            raise NotAllowed(f"{actor.role} may not list cases")
        return self.store.case_list(today=self.clock.today(), **filters)

    def department_queue(self, actor: Actor, department: str, after: Saved | int | None = None) -> dict[str, Any]:
        """The items waiting for ``department`` (its reviewers and supervisors), oldest deadline first."""
        require_queue_reader(actor, department)
        self._after(after)
        today = self.clock.today()
        items = [{**row, "overdue": _overdue(row, today)} for row in self.store.queue(department)]
        return {"department": department, "items": items, "counts": self.store.queue_counts(department)}

    def escalation_board(self, actor: Actor, state: str = "", after: Saved | int | None = None) -> list[Row]:
        """Open and closed escalations, with their age in days."""
        require_role(actor, "the escalations board", Role.SUPERVISOR, Role.AUDITOR)
        self._after(after)
        now = self.clock.now()
        return [{**row, "age_days": ((row["resolved_at"] or now) - row["opened_at"]).days}
                for row in self.store.escalations(state)]

    def kpis(self, actor: Actor) -> dict[str, Any]:
        """Key figures per bundle and per department."""
        require_role(actor, "KPIs", Role.SUPERVISOR, Role.AUDITOR)  # shared/API.md
        return {"bundles": bundle_kpis(self.store.kpi_cases(), self.store.bundles()),
                "departments": department_kpis(self.store.kpi_items())}

    def audit_log(self, viewer: Actor, after: Saved | int | None = None, **filters: Any) -> Page:
        """One row per event, filtered by ``actor``, ``department``, ``case_id``, ``since``, ``until``."""
        require_role(viewer, "the audit log", Role.AUDITOR, Role.ADMIN)
        self._after(after)
        return self.store.audit_log(**filters)

    def published_bundles(self) -> list[Row]:
        """The published bundles, latest versions (public)."""
        return self.store.bundles()

    def departments(self) -> dict[str, Row]:
        """Known departments by code (public)."""
        return {row["code"]: row for row in self.store.departments()}

    def case_progress(self, number: str, credit_code: str) -> Row | None:
        """A case's status and its items (name, department, status, due date), for the applicant (public):
        only when number and credit code both match, and alike whichever of the two is wrong."""
        page = self.store.case_list(today=self.clock.today(), number=number, credit_code=credit_code, per_page=1)
        if not page.rows:
            return None
        case = page.rows[0]
        items = sorted(self.store.case_items(case["case_id"]), key=lambda item: (item["opened_at"], item["code"]))
        return {"number": case["number"], "status": case["status"], "due": case["due"],
                "items": [{"name": item["name"], "department_code": item["department"], "status": item["status"],
                           "due": item["due"], "accepted_on": item["accepted_on"],
                           "findings": json.loads(item.get("findings") or "[]")} for item in items]}

    def certificate(self, number: str) -> Row:
        """Whether a certificate number is genuine: holder, type, case, date and status (public)."""
        row = self.store.certificate(number)
        if row is None or row["status"] == CertificateStatus.HELD:  # maybe issued a moment ago: look once more
            self.catch_up()
            row = self.store.certificate(number)
        if row is None or row["status"] not in PUBLIC_CERTIFICATE_STATUSES:  # held or void: never released
            raise NotFound(f"no certificate {number}")
        return row


def _overdue(item: Row, today: Any) -> bool:
    """Past its due date, unless its clock is paused for a supplement."""
    return item["due"] is not None and item["due"] < today and item["status"] != "supplement_requested"

