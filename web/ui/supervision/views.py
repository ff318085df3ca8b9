"""The supervisor's pages (督办): the escalations board with the overdue and due-soon lists across departments,
the actions on a case (``web.ui.supervision.actions``), and the figures (statistics, also for auditors).

Supervisors see and do everything here; auditors read the figures only; other roles get 403.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from application.cases.views import CaseView
from domain.shared.values import Role
from web.ui.i18n import localized_name
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.supervision import actions as supervision_actions
from web.ui.supervision.data import bundle_names, case_link, page_number, supervision_queries
from web.ui.supervision.figures import figures as figures_of
from web.ui.supervision.forms import case_forms
from web.ui.urls import services

bp = Blueprint("ui_supervision", __name__)
nav_link(bp, "ui_supervision.board", _l("Supervision"), Role.SUPERVISOR, order=10)
nav_link(bp, "ui_supervision.figures", _l("Figures"), Role.SUPERVISOR, Role.AUDITOR, order=20)
supervision_actions.register(bp)

PER_PAGE = 20
TABS = ("open", "closed", "overdue", "due_soon")
TAB_LABELS = {"open": _l("Open escalations"), "closed": _l("Closed escalations"), "overdue": _l("Overdue items"),
              "due_soon": _l("Due soon")}
EMPTY = {
    "open": (_l("No case is under supervision."), _l("Cases put under supervision, by you or by the deadline "
                                                      "check, appear here until they are resolved.")),
    "closed": (_l("No escalation has been resolved yet."), None),
    "overdue": (_l("No item is overdue."), _l("Items past their time limit appear here, the longest overdue "
                                               "first.")),
    "due_soon": (_l("No item is due soon."), _l("Items due within one working day, or with 80 percent of their time "
                                                 "used, appear here.")),
}


@bp.get("/supervision")
@requires(Role.SUPERVISOR)
def board() -> Any:
    """The escalations board (open or closed) and the overdue and due-soon items of every department."""
    tab = request.args.get("tab", "open")
    tab = tab if tab in TABS else "open"
    department = request.args.get("department", "")[:64]
    departments = services().queries.departments()
    if department not in departments:
        department = ""
    queries, actor = supervision_queries(), current_actor()
    number = page_number()
    lists = {"overdue": queries.overdue_items, "due_soon": queries.due_soon_items}
    if tab in lists:
        page = lists[tab](actor, department, page=number, per_page=PER_PAGE)
        _add_working_days(page.rows, tab)
    else:
        page = queries.escalations(actor, tab, page=number, per_page=PER_PAGE)
    # the other tabs' counts, read after the page (whose own total is counted with it)
    others = tuple(name for name in lists if name != tab)
    totals = {**queries.escalation_counts(actor), **queries.late_counts(actor, department, others), tab: page.total}
    return render_template(
        "ui/supervision/board.html", tab=tab, tabs=TABS, tab_labels=TAB_LABELS, totals=totals, page=page,
        empty=EMPTY[tab], department=department, bundles=bundle_names(), case_link=case_link,
        departments=[(code, localized_name(row, code)) for code, row in departments.items()],
    )


def _add_working_days(rows: list[dict[str, Any]], tab: str) -> None:
    """Working days overdue (or left) for each row of this page (few rows: the calendar is memoised)."""
    calendar, today = services().calendar, services().clock.today()
    for row in rows:
        due = row["due"]
        row["working_days"] = calendar.working_days(due, today) if tab == "overdue" else \
            calendar.working_days(today, due)


@bp.get("/supervision/figures")
@requires(Role.SUPERVISOR, Role.AUDITOR)
def figures() -> Any:
    """Key figures: on-time rates, cycle times, each department's load, the bundles' reductions, petitions."""
    return render_template("ui/supervision/figures.html", **figures_of(current_actor()))


@bp.app_context_processor
def supervisor_helpers() -> dict[str, Any]:
    """``supervisor_forms(case, version)`` for the case page's supervisor panel (any template may call it)."""
    return {"supervisor_forms": _supervisor_forms}


def _supervisor_forms(case: CaseView, version: int | None = None) -> dict[str, Any]:
    """The forms a supervisor may use on ``case`` at ``version``; they come back to the case page (not to the
    address that drew it: after a refused form of the case page that is a POST-only address)."""
    return case_forms(current_actor(), case, case.version if version is None else version, case_link(case.id))


from web.ui.supervision import follow_ups  # noqa: E402,F401 - its views join this blueprint
