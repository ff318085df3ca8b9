"""What applicants and intake read of online filings: the enterprise's cases in plain words (``/me/cases``),
intake's pre-review queue with each filing's waiting time and deadline, and the poor ratings' follow-ups.

Read from the projected tables only; a caller that has just written passes ``after=`` to read its own write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from application.cases.online import prefilled
from application.common.access import require_role
from application.common.changes import Saved
from application.common.clock import Clock
from application.common.page import Page, Row
from domain.shared.values import PRE_REVIEW_DAYS, Actor, Role

PREFILL_FROM = 5  # the enterprise's latest filings whose answers prefill a new one

# Each status in the words an applicant reads (zh, en).
CASE_WORDS = {
    "submitted": ("已提交，等待预审", "submitted, waiting for pre-review"),
    "returned": ("已退回，请补齐所列材料", "returned: please supply the materials listed"),
    "open": ("办理中", "being handled"), "completed": ("已办结", "completed"),
    "rejected": ("不予许可", "rejected"), "withdrawn": ("已撤回", "withdrawn"),
}
ITEM_WORDS = {
    "waiting": ("待受理", "waiting to be accepted"), "in_review": ("审查中", "under review"),
    "supplement_requested": ("请补正材料", "supplement requested: please upload"),
    "approved": ("已批准", "approved"), "rejected": ("不予批准", "not approved"),
    "withdrawn": ("已撤回", "withdrawn"), "not_applicable": ("本案无需办理", "not needed for this case"),
}


def words(table: dict[str, tuple[str, str]], status: str) -> dict[str, str]:
    """A status in plain words, Chinese and English."""
    zh, en = table.get(status, (status, status))
    return {"zh": zh, "en": en}


class OnlineReadModels(Protocol):
    """What these reads need of the read-model tables (``infrastructure.readmodels.online``)."""

    def enterprise_cases(self, credit_code: str, bundles: Sequence[str] | None, page: int,
                         per_page: int) -> Page: ...
    def items_of(self, case_ids: Sequence[str]) -> list[Row]: ...
    def pre_review(self, page: int, per_page: int) -> Page: ...
    def filings_waiting(self) -> list[str]: ...
    def follow_ups(self, state: str, page: int, per_page: int) -> Page: ...


class OnlineQueries:
    """Reads of online filing, as each role may see them."""

    def __init__(self, store: OnlineReadModels, clock: Clock, wait_for: Callable[[str, int | None], None],
                 add_days: Callable[[date, int], date], working_days: Callable[[date, date], int],
                 answers_of: Callable[[str], Mapping[str, Any]] = lambda _: {}):
        self.store, self.clock, self.wait_for = store, clock, wait_for
        self.add_days, self.working_days, self.answers_of = add_days, working_days, answers_of

    def prefill(self, actor: Actor, questions: Iterable[str]) -> dict[str, Any]:
        """The answers the applicant's enterprise gave before to these questions (免填写): from its
        ``PREFILL_FROM`` latest filings, the newest answer to each."""
        require_role(actor, "prefilling a filing", Role.APPLICANT)
        rows = self.store.enterprise_cases(actor.enterprise or "", actor.bundles, 1, PREFILL_FROM).rows
        return prefilled(questions, (self.answers_of(row["case_id"]) for row in rows))

    def _after(self, saved: Saved | int | None) -> None:
        """Catch up to a write: a command's result, or the notification id of the caller's last write."""
        if isinstance(saved, Saved):
            self.wait_for("Cases", saved.notification_id)
        elif isinstance(saved, int):
            self.wait_for("Cases", saved)

    def my_cases(self, actor: Actor, page: int = 1, per_page: int = 20, after: Saved | int | None = None) -> Page:
        """The applicant's enterprise's cases (an agent's: of its bundles), newest first, each with its items'
        status in plain words, due dates, and the materials asked of the applicant."""
        require_role(actor, "the applicant's cases", Role.APPLICANT)
        self._after(after)
        found = self.store.enterprise_cases(actor.enterprise or "", actor.bundles, page, per_page)
        items: dict[str, list[Row]] = {}
        for item in self.store.items_of([row["case_id"] for row in found.rows]):
            items.setdefault(item["case_id"], []).append(item)
        rows = [_applicant_case(row, items.get(row["case_id"], []), self._deadline(row)) for row in found.rows]
        return Page(rows, found.total, found.page, found.per_page)

    def pre_review(self, actor: Actor, page: int = 1, per_page: int = 20, after: Saved | int | None = None) -> Page:
        """Online filings waiting in pre-review (intake, supervisors): how many working days each has waited and
        the last day intake may answer before the law accepts it (returned ones wait for the applicant)."""
        require_role(actor, "the pre-review queue", Role.INTAKE, Role.SUPERVISOR)
        self._after(after)
        found = self.store.pre_review(page, per_page)
        today = self.clock.today()
        rows = []
        for row in found.rows:
            since = row["pre_review_since"] if row["status"] == "submitted" else row["returned_on"]
            rows.append({**_header(row), "since": since, "waiting_days": self.working_days(since, today),
                         "deadline": self._deadline(row)})
        return Page(rows, found.total, found.page, found.per_page)

    def follow_ups(self, actor: Actor, state: str = "open", page: int = 1, per_page: int = 20,
                   after: Saved | int | None = None) -> Page:
        """Poor ratings' follow-ups (supervisors, auditors), ``state`` "open", "closed" or "" (both); each says
        whether it is overdue."""
        require_role(actor, "the follow-ups of poor ratings", Role.SUPERVISOR, Role.AUDITOR)
        self._after(after)
        found = self.store.follow_ups(state if state in ("open", "closed") else "", page, per_page)
        today = self.clock.today()
        rows = [{**_header(row), "rating": row["rating"], "due": row["follow_up_due"],
                 "state": row["follow_up_state"],
                 "overdue": row["follow_up_state"] == "open" and row["follow_up_due"] < today} for row in found.rows]
        return Page(rows, found.total, found.page, found.per_page)

    def _deadline(self, row: Row) -> date | None:
        """The last working day intake may answer a filing waiting in pre-review."""
        if row["status"] != "submitted" or row["pre_review_since"] is None:
            return None
        return self.add_days(row["pre_review_since"], PRE_REVIEW_DAYS)


def _header(row: Row) -> dict[str, Any]:
    return {"id": row["case_id"], "number": row["number"], "bundle": row["bundle"], "status": row["status"],
            "applicant_name": row["applicant_name"], "credit_code": row["credit_code"], "channel": row["channel"],
            "opened_on": row["opened_on"], "missing": [k for k in row["missing"].split(",") if k]}


def _applicant_case(row: Row, items: list[Row], deadline: date | None) -> dict[str, Any]:
    return {
        **_header(row), "status_words": words(CASE_WORDS, row["status"]), "due": row["due"],
        "pre_review_deadline": deadline, "rating": row["rating"],
        "items": [{"code": item["code"], "name": item["name"], "department": item["department"],
                   "status": item["status"], "status_words": words(ITEM_WORDS, item["status"]), "due": item["due"],
                   "asked": [k for k in item["requested"].split(",") if k]} for item in items],
    }
