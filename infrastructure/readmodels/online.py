"""SQL over the read models for online filing: an enterprise's cases, intake's pre-review queue, the follow-ups of
poor ratings. No access rules here: ``application.cases.online_reads`` decides who sees what."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from application.common.page import Page, Row
from infrastructure.readmodels.queries import SqlReader
from infrastructure.readmodels.tables import case_items, cases

PRE_REVIEW = ("submitted", "returned")


class SqlOnlineReadModels(SqlReader):
    """Reads rm_cases and rm_case_items for applicants, intake's pre-review and supervisors' follow-ups."""

    def enterprise_cases(self, credit_code: str, bundles: Sequence[str] | None, page: int, per_page: int) -> Page:
        """The enterprise's cases (only ``bundles``' if given), newest first."""
        query = select(cases).where(cases.c.credit_code == credit_code)
        if bundles is not None:
            query = query.where(cases.c.bundle.in_(list(bundles)))
        return self._page(query.order_by(cases.c.opened_at.desc(), cases.c.number), page, per_page)

    def items_of(self, case_ids: Sequence[str]) -> list[Row]:
        """The items of these cases, each case's in the order they were opened."""
        if not case_ids:
            return []
        return self._all(select(case_items).where(case_items.c.case_id.in_(list(case_ids)))
                         .order_by(case_items.c.case_id, case_items.c.opened_at, case_items.c.code))

    def pre_review(self, page: int, per_page: int) -> Page:
        """Online filings not yet accepted: waiting for intake (submitted) or for the applicant (returned); the
        longest waiting first."""
        query = select(cases).where(cases.c.status.in_(PRE_REVIEW))
        return self._page(query.order_by(cases.c.status.desc(), cases.c.pre_review_since, cases.c.number),
                          page, per_page)

    def filings_waiting(self) -> list[str]:
        """Online filings waiting for intake's answer (for the deadline tick's deemed acceptance)."""
        return [row["case_id"] for row in self._all(
            select(cases.c.case_id).where(cases.c.status == "submitted").order_by(cases.c.case_id))]

    def follow_ups(self, state: str, page: int, per_page: int) -> Page:
        """Cases whose poor rating opened a follow-up, ``state`` "open" or "closed" (or "" for both); the
        earliest due first."""
        query = select(cases).where(cases.c.follow_up_state.is_not(None))
        if state:
            query = query.where(cases.c.follow_up_state == state)
        return self._page(query.order_by(cases.c.follow_up_due, cases.c.number), page, per_page)
