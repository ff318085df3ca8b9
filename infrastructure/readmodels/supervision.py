"""SQL over the read models for supervisors: late items across departments, the escalations board page by
page, each department's load, and the staff a supervisor can hand work to.

No access rules here: ``application.supervision.queries`` decides who sees what.

The item lists run on the partial indexes of running items in their order (``tables.RUNNING_ITEM``):
``rm_case_items (due, case_number, code, warning)`` across departments, ``(department, due, …)`` for one, so
that a page reads its 20 entries instead of sorting every overdue item; the counts range-scan ``due`` in the
same indexes. Department load names every department (``department IN (SELECT code FROM
rm_departments)``; the catalogue accepts no item of an undeclared department) so that the database walks the
``(department, status, due)`` index instead of reading every item ever filed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from application.common.page import Page
from application.supervision.queries import LATE_LISTS
from infrastructure.readmodels.queries import SqlReader
from infrastructure.readmodels.tables import (
    RUNNING_ITEM,
    RUNNING_STATUSES,
    case_items,
    cases,
    departments,
    escalations,
    users,
)

Row = dict[str, Any]
RUNNING = RUNNING_STATUSES  # undecided with a clock that runs (a supplement pauses it)
UNDECIDED = (*RUNNING, "supplement_requested")
ITEM_COLUMNS = (case_items.c.case_id, case_items.c.code, case_items.c.case_number, case_items.c.bundle,
                case_items.c.name, case_items.c.department, case_items.c.status, case_items.c.due,
                case_items.c.accepted_on, case_items.c.assignee, case_items.c.urges, case_items.c.warning,
                cases.c.applicant_name, cases.c.owner, cases.c.open_escalations)


class SqlSupervisionReadModels(SqlReader):
    """Reads the projected tables for the supervision pages."""

    def _item_page(self, where: Any, page: int, per_page: int) -> Page:
        """Items matching ``where``, soonest due first, with their case's columns.

        Counted and ordered on the items alone (the index), then only the page's rows are joined to
        their cases. No filter on the case's status is needed: closing a case withdraws its undecided
        items in the read model (``CaseReadModel._close``).
        """
        order = (case_items.c.due, case_items.c.case_number, case_items.c.code)
        chosen = (select(case_items.c.case_id, case_items.c.code).where(*where).order_by(*order)
                  .limit(per_page).offset((page - 1) * per_page).subquery())
        query = (select(*ITEM_COLUMNS)
                 .join(chosen, and_(chosen.c.case_id == case_items.c.case_id, chosen.c.code == case_items.c.code))
                 .join(cases, cases.c.case_id == case_items.c.case_id).order_by(*order))
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(case_items).where(*where)).scalar_one()
            rows = [dict(r) for r in connection.execute(query).mappings()]
        return Page(rows, total, page, per_page)

    def overdue_items(self, *, today: date, department: str = "", page: int = 1, per_page: int = 20) -> Page:
        """Running items due before ``today``, longest overdue first."""
        return self._item_page(_overdue(today, department), page, per_page)

    def due_soon_items(self, *, today: date, soon_before: date, department: str = "", page: int = 1,
                       per_page: int = 20) -> Page:
        """Running items not yet overdue that are due before ``soon_before`` or have 80 % of their working
        time used (the ``warning`` the deadline tick records), soonest first."""
        return self._item_page(_due_soon(today, soon_before, department), page, per_page)

    def late_counts(self, *, today: date, soon_before: date, department: str = "",
                    lists: tuple[str, ...] = LATE_LISTS) -> dict[str, int]:
        """How many items ``overdue_items`` and ``due_soon_items`` (those of ``lists``) hold in all, without
        reading a page."""
        wheres = {"overdue": _overdue(today, department), "due_soon": _due_soon(today, soon_before, department)}
        with self.engine.connect() as connection:
            return {name: connection.execute(select(func.count()).select_from(case_items).where(*where)).scalar_one()
                    for name, where in wheres.items() if name in lists}

    def escalations(self, *, state: str, page: int = 1, per_page: int = 20) -> Page:
        """Escalations in ``state`` ("open": oldest first; "closed": newest first), with their case's row."""
        order = escalations.c.opened_at if state == "open" else escalations.c.opened_at.desc()
        query = (select(escalations, cases.c.applicant_name, cases.c.status.label("case_status"))
                 .join(cases, cases.c.case_id == escalations.c.case_id)
                 .where(escalations.c.state == state)
                 .order_by(order, escalations.c.case_number, escalations.c.number))
        return self._page(query, page, per_page)

    def escalation_counts(self) -> dict[str, int]:
        """How many escalations are in each state."""
        query = select(escalations.c.state, func.count()).group_by(escalations.c.state)
        with self.engine.connect() as connection:
            return {state: count for state, count in connection.execute(query)}

    def department_load(self, *, today: date) -> dict[str, dict[str, int]]:
        """Per department: its undecided items (of open cases: see ``_item_page``), and how many are overdue."""
        late = and_(case_items.c.status.in_(RUNNING), case_items.c.due < today)
        query = (select(case_items.c.department, func.count().label("open"),
                        func.sum(case((late, 1), else_=0)).label("overdue"))
                 .where(_every_department(), case_items.c.status.in_(UNDECIDED))
                 .group_by(case_items.c.department))
        return {row["department"]: {"open": int(row["open"]), "overdue": int(row["overdue"] or 0)}
                for row in self._all(query)}

    def staff(self, *, role: str, department: str | None = None) -> list[Row]:
        """Users of ``role`` (and of ``department``, if given), by name."""
        query = select(users.c.username, users.c.display_name, users.c.role, users.c.department)
        query = query.where(users.c.role == role)
        if department is not None:
            query = query.where(users.c.department == department)
        return self._all(query.order_by(users.c.username))


def _every_department() -> Any:
    """``department IN (every declared department)``: lets the database walk the department-first index."""
    return case_items.c.department.in_(select(departments.c.code).scalar_subquery())


def _running(department: str) -> tuple[Any, ...]:
    """Items whose clock runs, of one department or of all (the condition of the partial indexes, as literal SQL)."""
    return (RUNNING_ITEM, case_items.c.department == department) if department else (RUNNING_ITEM,)


def _overdue(today: date, department: str) -> tuple[Any, ...]:
    """Running items due before ``today``."""
    return (*_running(department), case_items.c.due < today)


def _due_soon(today: date, soon_before: date, department: str) -> tuple[Any, ...]:
    """Running items due from ``today`` on, before ``soon_before`` or with their warning recorded."""
    near = or_(case_items.c.due < soon_before, case_items.c.warning == "yellow")
    return (*_running(department), case_items.c.due >= today, near)
