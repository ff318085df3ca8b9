"""The reviewer's department queue: the items under way in their department, sorted, filtered, a page at a time.

Changing a filter reloads only the table (htmx asks for the fragment, ``is_htmx``); without JavaScript the
same form reloads the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from application.cases.queue import QUEUE_SORTS, QUEUE_STATUSES, QueueFilter, QueueQueries
from domain.shared.values import Role
from web.ui.i18n import status_label
from web.ui.nav import nav_link
from web.ui.session import current_actor, requires
from web.ui.urls import is_htmx, services, whole_number

bp = Blueprint("ui_queue", __name__)
nav_link(bp, "ui_queue.index", _l("My queue"), Role.REVIEWER, order=10)

PER_PAGE = 25
SORT_LABELS = {"due": _l("Due date"), "opened": _l("Date opened"), "number": _l("Case number")}


def queue_queries() -> QueueQueries:
    """The queue's queries (built by the composition root, ``web.services``)."""
    return services().queue_queries


def chosen_filter() -> QueueFilter:
    """The filters, sort and page of this request's query; what is not understood falls back to the default."""
    args = request.args
    status = args.get("status", "")
    sort = args.get("sort", "due")
    page = args.get("page", "1")
    return QueueFilter(
        status=status if status in QUEUE_STATUSES else "",
        overdue=True if args.get("overdue") == "1" else None,
        mine=args.get("mine") == "1",
        sort=sort if sort in QUEUE_SORTS else "due",
        descending=args.get("order") == "desc",
        page=whole_number(page, 1, 999_999) or 1,
        per_page=PER_PAGE,
    )


@bp.get("/queue")
@requires(Role.REVIEWER)
def index() -> Any:
    """The signed-in reviewer's department queue (the table alone when htmx asks for it)."""
    actor = current_actor()
    chosen = chosen_filter()
    queue = queue_queries().department_queue(actor, actor.department or "", chosen)
    fragment = is_htmx() and not request.headers.get("HX-History-Restore-Request")  # a restore wants the page
    template = "ui/queue/_table.html" if fragment else "ui/queue/index.html"
    body = render_template(
        template, queue=queue, chosen=chosen, statuses=QUEUE_STATUSES, queue_url=queue_url,
        sort_url=lambda column: sort_url(chosen, column), filtered=bool(chosen.status or chosen.overdue or chosen.mine),
        status_options=[("", _("All under way"))] + [(status, status_label(status)) for status in QUEUE_STATUSES],
        sort_options=[(sort, SORT_LABELS[sort]) for sort in QUEUE_SORTS])
    response = make_response(body)
    response.vary.add("HX-Request")  # the same address answers a page or a fragment
    return response


def queue_url(**changes: str) -> str:
    """This queue's address with some arguments changed (an empty value drops one); back to the first page."""
    args = {key: value for key, value in request.args.items() if key != "page"}
    args.update(changes)
    # url_for takes the query as **values: Any; a dict of str would also claim its `_external: bool` slot
    query: dict[str, Any] = {key: value for key, value in args.items() if value}
    return url_for("ui_queue.index", **query)


def sort_url(chosen: QueueFilter, column: str) -> str:
    """The address that sorts by ``column``: ascending first, the other way round when it is sorted so already."""
    again = chosen.sort == column and not chosen.descending
    return queue_url(sort=column, order="desc" if again else "asc")
