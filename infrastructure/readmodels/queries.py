"""SQL over the read-model tables. No access rules here: ``application.cases.queries`` decides who sees what."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, and_, case, exists, func, or_, select

from application.common.page import Page
from infrastructure.readmodels.tables import (
    audit_log,
    bundles,
    case_items,
    cases,
    certificates,
    departments,
    escalations,
)

Row = dict[str, Any]
OPEN_ITEM_STATUSES = ("waiting", "in_review", "supplement_requested")


class SqlReader:
    """What every reader of the projected tables shares: its engine, all rows of a query, one page of them."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _all(self, query: Any) -> list[Row]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    def _page(self, query: Any, page: int, per_page: int) -> Page:
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
            rows = connection.execute(query.limit(per_page).offset((page - 1) * per_page)).mappings()
            return Page([dict(r) for r in rows], total, page, per_page)


class SqlReadModels(SqlReader):
    """Reads the projected tables."""

    # Cases ------------------------------------------------------------------------------------
    def case_list(self, *, today: date, text: str = "", number: str = "", credit_code: str = "",
                  bundle: str = "", status: str = "", department: str = "", overdue: bool | None = None,
                  page: int = 1, per_page: int = 20) -> Page:
        """Cases matching every given filter, newest first, with an ``overdue`` flag."""
        late = and_(cases.c.status == "open", cases.c.due.is_not(None), cases.c.due < today)
        query = select(cases, case((late, True), else_=False).label("overdue"))
        if text:  # case-insensitive on every database; % and _ match themselves
            query = query.where(or_(*(column.icontains(text, autoescape=True) for column in
                                      (cases.c.number, cases.c.applicant_name, cases.c.credit_code))))
        for column, value in ((cases.c.number, number), (cases.c.credit_code, credit_code),
                              (cases.c.bundle, bundle), (cases.c.status, status)):
            if value:
                query = query.where(column == value)
        if department:
            query = query.where(exists().where(and_(case_items.c.case_id == cases.c.case_id,
                                                    case_items.c.department == department)))
        if overdue is not None:
            query = query.where(late if overdue else ~late)
        return self._page(query.order_by(cases.c.opened_at.desc(), cases.c.number), page, per_page)

    def case_row(self, case_id: str) -> Row | None:
        """One case's row."""
        rows = self._all(select(cases).where(cases.c.case_id == case_id))
        return rows[0] if rows else None

    def case_items(self, case_id: str) -> list[Row]:
        """A case's items."""
        return self._all(select(case_items).where(case_items.c.case_id == case_id))

    # Queues and boards ------------------------------------------------------------------------
    def queue(self, department: str) -> list[Row]:
        """Items of open cases waiting for ``department``, oldest deadline first (none last)."""
        query = (
            select(case_items, cases.c.applicant_name, cases.c.owner)
            .join(cases, cases.c.case_id == case_items.c.case_id)
            .where(case_items.c.department == department, case_items.c.status.in_(OPEN_ITEM_STATUSES),
                   cases.c.status == "open")
            .order_by(case_items.c.due.is_(None), case_items.c.due, case_items.c.opened_at, case_items.c.code)
        )
        return self._all(query)

    def queue_counts(self, department: str) -> dict[str, int]:
        """How many of the department's items are in each status."""
        query = (select(case_items.c.status, func.count()).where(case_items.c.department == department)
                 .group_by(case_items.c.status))
        with self.engine.connect() as connection:
            return {status: count for status, count in connection.execute(query)}

    def escalations(self, state: str = "") -> list[Row]:
        """Escalations, open ones first, oldest first."""
        query = select(escalations).order_by(escalations.c.state.desc(), escalations.c.opened_at)
        if state:
            query = query.where(escalations.c.state == state)
        return self._all(query)

    def certificate(self, number: str) -> Row | None:
        """One certificate by number."""
        rows = self._all(select(certificates).where(certificates.c.number == number))
        return rows[0] if rows else None

    def audit_log(self, *, actor: str = "", department: str = "", case_id: str = "",
                  since: datetime | None = None, until: datetime | None = None,
                  page: int = 1, per_page: int = 50) -> Page:
        """Events, newest first, filtered by actor, actor's department, case and time range."""
        query = select(audit_log)
        if actor:
            query = query.where(audit_log.c.actor_id == actor)
        if department:
            query = query.where(audit_log.c.actor_department == department)
        if case_id:
            query = query.where(audit_log.c.originator_id == str(case_id))
        if since is not None:  # stored in UTC (SQLite keeps no time zone)
            query = query.where(audit_log.c.at >= since.astimezone(UTC))
        if until is not None:
            query = query.where(audit_log.c.at < until.astimezone(UTC))
        order = (audit_log.c.at.desc(), audit_log.c.originator_id, audit_log.c.position.desc())
        return self._page(query.order_by(*order), page, per_page)

    def all_case_ids(self) -> list[str]:
        """Every case, oldest first."""
        return [row["case_id"] for row in self._all(select(cases.c.case_id).order_by(cases.c.opened_at))]

    def cases_to_check(self) -> list[str]:
        """Open cases with a running clock (an item under review, or waiting with its prerequisites
        approved) or an open escalation (deadline supervision)."""
        running = select(case_items.c.case_id).where(or_(
            case_items.c.status == "in_review", and_(case_items.c.status == "waiting", case_items.c.due.is_not(None))))
        supervised = select(escalations.c.case_id).where(escalations.c.state == "open")
        query = select(cases.c.case_id).where(cases.c.status == "open",
                                              cases.c.case_id.in_(running.union(supervised)))
        return [row["case_id"] for row in self._all(query.order_by(cases.c.case_id))]

    # KPIs and lists ---------------------------------------------------------------------------
    def kpi_cases(self) -> list[Row]:
        """The case columns KPIs are computed from."""
        return self._all(select(cases.c.bundle, cases.c.status, cases.c.channel, cases.c.cycle_days,
                                cases.c.on_time, cases.c.supplements, cases.c.commitments, cases.c.rating,
                                cases.c.materials, cases.c.case_id, cases.c.materials_uploaded,
                                cases.c.materials_reused))

    def kpi_items(self) -> list[Row]:
        """The item columns KPIs are computed from."""
        return self._all(select(case_items.c.case_id, case_items.c.bundle, case_items.c.department,
                                case_items.c.status, case_items.c.on_time, case_items.c.cycle_days,
                                case_items.c.supplements, case_items.c.on_commitment,
                                cases.c.status.label("case_status"), cases.c.rating)
                         .join(cases, cases.c.case_id == case_items.c.case_id))

    def bundles(self) -> list[Row]:
        """Published bundles (latest versions)."""
        return self._all(select(bundles).where(bundles.c.version > 0).order_by(bundles.c.code))

    def departments(self) -> list[Row]:
        """Known departments."""
        return self._all(select(departments).order_by(departments.c.code))
