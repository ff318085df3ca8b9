"""Reads of the auditor's pages that ``application.cases.queries`` does not have: the audit log with case numbers.

The audit log's rows name a case by its id (the number is recorded on its ``Opened`` row only); a page of the
log shows numbers, so each case on the page is looked up once, by primary key, in the cases read model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from application.cases.queries import Queries
from application.common.access import require_role
from domain.shared.values import Actor, Role

CASES = "Cases"


def audit_log_page(queries: Queries, viewer: Actor, **filters: Any) -> Any:
    """A page of the audit log (``Queries.audit_log``), each row of a case carrying its ``case_number``."""
    page = queries.audit_log(viewer, **filters)
    ids = {row["originator_id"] for row in page.rows if row["application"] == CASES and not row.get("case_number")}
    numbers = case_numbers(queries, viewer, ids)
    rows = [{**row, "case_number": row.get("case_number") or numbers.get(row["originator_id"])}
            if row["application"] == CASES else row for row in page.rows]
    return replace(page, rows=rows)


def case_numbers(queries: Queries, viewer: Actor, case_ids: set[str]) -> dict[str, str]:
    """The number of each case in ``case_ids`` that the read model knows (auditors and admins)."""
    require_role(viewer, "case numbers of the audit log", Role.AUDITOR, Role.ADMIN)
    case_row = getattr(queries.store, "case_row", None)
    if case_row is None:  # a store without single-case reads: the page shows ids
        return {}
    found = {case_id: case_row(case_id) for case_id in sorted(case_ids)}
    return {case_id: row["number"] for case_id, row in found.items() if row}


def case_id_by_number(queries: Queries, viewer: Actor, number: str) -> str | None:
    """The id of the case numbered ``number`` (exactly), if there is one."""
    page = queries.case_list(viewer, number=number, per_page=1)
    return str(page.rows[0]["case_id"]) if page.rows else None
