"""Read-model tables (SQLAlchemy Core) and the tracking table that makes them exactly-once.

The read models keep what lists, searches and boards show, and no more: they are not encrypted (they are
searched in SQL), so a detail that only one page shows is read from the aggregate instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    event,
    func,
    literal_column,
)


class UtcDateTime(TypeDecorator):
    """A moment stored in UTC; SQLite keeps no time zone, so the UTC offset is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


metadata = MetaData()
VERSION = 10  # raise when the tables change: `onething db init` then rebuilds them from the events
When = UtcDateTime()


def _table(name: str, *columns: Column, indexes: tuple[tuple[str, ...], ...] = ()) -> Table:
    table = Table(name, metadata, *columns)
    for cols in indexes:
        Index(f"ix_{name}_{'_'.join(cols)}", *(table.c[c] for c in cols))
    return table


tracking = Table(
    "rm_tracking", metadata,
    Column("projection", String(64), primary_key=True),
    Column("application", String(64), primary_key=True),
    Column("position", Integer, nullable=False),  # the last notification id processed (ids have gaps)
)

cases = _table(
    "rm_cases",
    Column("case_id", String(36), primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("bundle", String(64), nullable=False), Column("bundle_version", Integer, nullable=False),
    Column("applicant_name", Text, nullable=False), Column("credit_code", String(18), nullable=False),
    Column("channel", String(32), nullable=False), Column("owner", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at", When, nullable=False), Column("opened_on", Date, nullable=False),
    Column("closed_at", When), Column("closed_on", Date), Column("due", Date),
    Column("version", Integer, nullable=False), Column("updated_at", When, nullable=False),
    Column("supplements", Integer, nullable=False), Column("commitments", Integer, nullable=False),
    Column("escalations", Integer, nullable=False), Column("open_escalations", Integer, nullable=False),
    Column("materials", Integer, nullable=False),
    Column("rating", Integer),
    Column("cycle_days", Integer), Column("on_time", Boolean),
    Column("items", Text, nullable=False), Column("certificates", Text, nullable=False),
    Column("material_keys", Text, nullable=False),
    Column("materials_uploaded", Integer, nullable=False),  # versions the applicant gave as new files (or paper)
    # An online filing: waiting in pre-review since this day (or returned to the applicant that day).
    Column("pre_review_since", Date), Column("returned_on", Date), Column("deemed_accepted", Boolean),
    Column("missing", Text, nullable=False),  # material keys the return listed (comma-joined), until accepted
    # A poor rating's follow-up: due by this day; "open" or "closed".
    Column("follow_up_due", Date), Column("follow_up_state", String(16)),
    Column("materials_reused", Integer, nullable=False),  # versions reused from its vault or its e-licences
    indexes=(("status", "due"), ("bundle",), ("credit_code",), ("applicant_name",), ("opened_at",)),
)

case_items = _table(
    "rm_case_items",
    Column("case_id", String(36), primary_key=True), Column("code", String(64), primary_key=True),
    Column("case_number", String(64), nullable=False), Column("bundle", String(64), nullable=False),
    Column("name", Text, nullable=False), Column("department", String(64), nullable=False),
    Column("status", String(32), nullable=False), Column("essential", Boolean, nullable=False),
    Column("time_limit_days", Integer, nullable=False), Column("prerequisites", Text, nullable=False),
    Column("accepted_on", Date), Column("due", Date), Column("decided_on", Date), Column("on_time", Boolean),
    Column("due_provisional", Boolean, nullable=False), Column("assignee", String(128)),
    Column("cycle_days", Integer),
    Column("on_commitment", Boolean, nullable=False), Column("supplements", Integer, nullable=False),
    Column("opened_at", When, nullable=False),
    Column("warning", String(8)),  # None, "yellow" (80 % used) or "red" (overdue)
    Column("urges", Integer, nullable=False),
    Column("findings", Text, nullable=False),  # what its rules found (JSON list), shown to the applicant too
    Column("requested", Text, nullable=False),  # material keys a supplement request asks for (comma-joined)
    indexes=(("department", "status", "due"), ("bundle",), ("department", "assignee"),
             ("department", "opened_at"), ("department", "case_number")),
)
# The queue's "oldest deadline first" order (no due date last, alike on SQLite and PostgreSQL), served by an
# index so that a page of a department with 100,000 open items reads 25 of them, not all.
DUE_KEY = func.coalesce(case_items.c.due, literal_column("'9999-12-31'"))
Index("ix_rm_case_items_department_due_key", case_items.c.department, DUE_KEY)
# The supervision board's late lists (items whose clock runs, soonest due first, across departments or in one)
# and the overdue counts: partial indexes of the running items in the lists' order, so that a page walks 20
# entries instead of sorting every overdue item, and the due-soon test (``warning``) is read from the index, not
# from each item's row. A query uses them only if it names the same condition as literal SQL (SQLite does not
# match a bound parameter against a partial index's condition): ``RUNNING_ITEM``.
RUNNING_STATUSES = ("waiting", "in_review")  # undecided with a clock that runs (a supplement pauses it)
RUNNING_ITEM = case_items.c.status.in_([literal_column(f"'{status}'") for status in RUNNING_STATUSES])
_LATE_ORDER = (case_items.c.due, case_items.c.case_number, case_items.c.code, case_items.c.warning)
Index("ix_rm_case_items_running_due", *_LATE_ORDER, sqlite_where=RUNNING_ITEM, postgresql_where=RUNNING_ITEM)
Index("ix_rm_case_items_running_department_due", case_items.c.department, *_LATE_ORDER,
      sqlite_where=RUNNING_ITEM, postgresql_where=RUNNING_ITEM)

certificates = _table(
    "rm_certificates",
    Column("number", String(96), primary_key=True),
    Column("case_id", String(36), nullable=False), Column("case_number", String(64), nullable=False),
    Column("item", String(64), nullable=False), Column("type", String(64), nullable=False),
    Column("name", Text, nullable=False), Column("holder_name", Text, nullable=False),
    Column("holder_code", String(18), nullable=False), Column("issued_at", When, nullable=False),
    Column("issued_on", Date, nullable=False), Column("status", String(16), nullable=False),
    Column("department", String(64)), Column("valid_from", Date), Column("valid_to", Date),  # None: long-term
    indexes=(("case_id",), ("holder_code",)),
)

# The applicant's vault (数字保险箱): every file an enterprise submitted, once per digest.
vault_files = _table(
    "rm_vault_files",
    Column("credit_code", String(18), primary_key=True), Column("sha256", String(64), primary_key=True),
    Column("key", String(64), nullable=False), Column("name", Text, nullable=False),
    Column("filename", Text, nullable=False), Column("size", Integer, nullable=False),
    Column("media_type", String(64), nullable=False), Column("first_case", String(64), nullable=False),
    Column("first_at", When, nullable=False), Column("last_used", When, nullable=False),
    Column("uses", Integer, nullable=False),
)
# What the vault needs of a case: its applicant and the names of its materials.
vault_cases = _table(
    "rm_vault_cases",
    Column("case_id", String(36), primary_key=True), Column("number", String(64), nullable=False),
    Column("credit_code", String(18), nullable=False), Column("material_names", Text, nullable=False),
)

# Notifications to applicants (通知): what each case needs for the texts, each notification, each delivery.
notify_cases = _table(
    "rm_notify_cases",
    Column("case_id", String(36), primary_key=True), Column("number", String(64), nullable=False),
    Column("credit_code", String(18), nullable=False), Column("bundle_code", String(64), nullable=False),
    Column("bundle", Text, nullable=False), Column("bundle_en", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("materials", Text, nullable=False), Column("licences", Text, nullable=False),
)
notifications = _table(
    "rm_notifications",
    Column("id", String(36), primary_key=True), Column("kind", String(32), nullable=False),
    Column("case_id", String(36), nullable=False), Column("case_number", String(64), nullable=False),
    Column("credit_code", String(18), nullable=False), Column("bundle", String(64), nullable=False),
    Column("template", String(64), nullable=False),
    Column("template_version", Integer, nullable=False), Column("template_values", Text, nullable=False),
    Column("subject_zh", Text, nullable=False), Column("subject_en", Text, nullable=False),
    Column("text_zh", Text, nullable=False), Column("text_en", Text, nullable=False),
    Column("created_at", When, nullable=False),
    Column("position", Integer, nullable=False),  # the event's notification id: the order they happened in
    indexes=(("credit_code", "position"), ("position",)),
)
deliveries = _table(
    "rm_deliveries",
    Column("delivery_id", String(36), primary_key=True), Column("notification", String(36), nullable=False),
    Column("kind", String(32), nullable=False), Column("case_number", String(64), nullable=False),
    Column("credit_code", String(18), nullable=False), Column("channel", String(16), nullable=False),
    Column("recipient", String(128), nullable=False), Column("address", Text, nullable=False),  # masked
    Column("state", String(16), nullable=False), Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", When), Column("last_error", Text, nullable=False),
    Column("queued_at", When, nullable=False), Column("updated_at", When, nullable=False),
    indexes=(("notification",), ("state", "next_attempt_at"), ("state", "updated_at")),
)

escalations = _table(
    "rm_escalations",
    Column("case_id", String(36), primary_key=True), Column("number", Integer, primary_key=True),
    Column("case_number", String(64), nullable=False), Column("bundle", String(64), nullable=False),
    Column("level", Integer, nullable=False), Column("reason", Text, nullable=False),
    Column("supervisor", String(128), nullable=False), Column("opened_at", When, nullable=False),
    Column("state", String(16), nullable=False), Column("raised_on", Date), Column("resolved_at", When),
    Column("resolved_by", String(128)), Column("resolution", Text),
    indexes=(("state", "opened_at"),),
)

audit_log = _table(
    "rm_audit_log",
    Column("application", String(64), primary_key=True),
    Column("originator_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("aggregate", String(32), nullable=False), Column("type", String(64), nullable=False),
    Column("case_number", String(64)), Column("at", When, nullable=False), Column("reason", Text, nullable=False),
    Column("actor_id", String(128)), Column("actor_role", String(32)), Column("actor_department", String(64)),
    indexes=(("actor_id", "at"), ("actor_department", "at"), ("at",), ("originator_id",)),
)

bundles = _table(
    "rm_bundles",
    Column("bundle_id", String(36), primary_key=True), Column("code", String(64), nullable=False, unique=True),
    Column("version", Integer, nullable=False), Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False), Column("category", String(64), nullable=False),
    Column("lead_department", String(64)), Column("items", Integer, nullable=False),
    Column("definition", Text, nullable=False), Column("published_at", When),
)

departments = _table(
    "rm_departments",
    Column("code", String(64), primary_key=True), Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
)

users = _table(
    "rm_users",
    Column("username", String(128), primary_key=True), Column("display_name", Text, nullable=False),
    Column("role", String(32), nullable=False), Column("department", String(64)),
    Column("created_at", When, nullable=False),
)

petitions = _table(
    "rm_petitions",
    Column("petition_id", String(36), primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("enterprise_name", Text, nullable=False), Column("credit_code", String(18)),
    Column("subject", Text, nullable=False), Column("channel", String(32), nullable=False),
    Column("related_case", String(64)), Column("status", String(16), nullable=False),
    Column("department", String(64)), Column("submitted_by", String(128), nullable=False),
    Column("submitted_at", When, nullable=False), Column("submitted_on", Date, nullable=False),
    Column("routed_on", Date), Column("time_limit_days", Integer), Column("due", Date),
    Column("due_provisional", Boolean, nullable=False),
    Column("answers", Integer, nullable=False), Column("answered_on", Date),
    Column("on_time", Boolean),  # the first answer came by its due date
    Column("level", Integer, nullable=False), Column("max_level", Integer, nullable=False),
    Column("round", Integer, nullable=False), Column("rating", Integer), Column("satisfied", Boolean),
    Column("closed_on", Date), Column("version", Integer, nullable=False), Column("updated_at", When, nullable=False),
    indexes=(("status", "due"), ("department", "status"), ("submitted_at",)),
)

# Tables of earlier versions that no version has any more (rm_case_materials: file names, which no list
# showed; the case page reads materials from the case). Dropped with the others when the version changes.
RETIRED_TABLES = ("rm_case_materials",)


@event.listens_for(metadata, "before_drop")
def _drop_retired(target: MetaData, connection: Any, **_: Any) -> None:
    for name in RETIRED_TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


VIEW_TABLES = {t.name: t for t in metadata.sorted_tables if t.name != "rm_tracking"}
