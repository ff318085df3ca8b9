"""Words of the auditor's pages: times in the service's zone, who acted, what a verify found, form values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import g
from flask_babel import format_datetime
from flask_babel import gettext as _

from application.common.errors import UserNotFound
from web.ui.i18n import role_label
from web.ui.urls import services

SYSTEM_PREFIX = "system:"
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# What the verifier reports (infrastructure.audit.verify), as patterns → a sentence in the UI's language.
PROBLEMS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"version (?P<expected>\d+) is missing \(the next stored is (?P<found>\d+)\)"),
     lambda m: _("Event %(expected)s is missing: the next one stored is event %(found)s.", **m.groupdict())),
    (re.compile(r"has no hash"), lambda m: _("The event has no hash.")),
    (re.compile(r"does not link to the previous event"),
     lambda m: _("The event does not link to the event before it (its previous hash differs).")),
    (re.compile(r"stored content does not match its hash"),
     lambda m: _("The stored content no longer matches its hash: it was changed after it was recorded.")),
    (re.compile(r"missing from the store \(logged at position (?P<position>\d+)"),
     lambda m: _("The event was deleted from the store (the audit log recorded it at position %(position)s).",
                 **m.groupdict())),
    (re.compile(r"differs from the audit log \(position (?P<position>\d+)\)"),
     lambda m: _("The event differs from what the audit log recorded (log position %(position)s).",
                 **m.groupdict())),
    (re.compile(r"not in the audit log, although later events are"),
     lambda m: _("The event is missing from the audit log, although later events are in it.")),
    (re.compile(r"not in the audit log \(log position (?P<position>\d+)"),
     lambda m: _("The event is not in the audit log: log position %(position)s names another event for its row.",
                 **m.groupdict())),
    (re.compile(r"audit log: no entry at position (?P<position>\d+)"),
     lambda m: _("The audit log has no entry at position %(position)s: log entries were deleted or moved.",
                 **m.groupdict())),
    (re.compile(r"checkpoint of size (?P<size>\d+): the signature does not verify"),
     lambda m: _("The signature of the checkpoint over %(size)s entries does not verify.", **m.groupdict())),
    (re.compile(r"checkpoint of size (?P<size>\d+): the log has only (?P<entries>\d+) entries"),
     lambda m: _("The checkpoint covers %(size)s entries, but the audit log has only %(entries)s.",
                 **m.groupdict())),
    (re.compile(r"checkpoint of size (?P<size>\d+): the log's first \d+ positions no longer give its root"),
     lambda m: _("The first %(size)s entries of the audit log no longer give the signed checkpoint's root: "
                 "events and log entries were rewritten.", **m.groupdict())),
    (re.compile(r"no public key to check the checkpoints with"),
     lambda m: _("There is no public key to check the signed checkpoints with.")),
)


def problem_words(problem: str) -> str:
    """A problem the verifier found, as a sentence in the UI's language (with its own words if it is a new one)."""
    for pattern, words in PROBLEMS:
        match = pattern.search(problem or "")
        if match:
            return str(words(match))
    return _("A problem was found: %(detail)s", detail=problem)


def when(moment: datetime | None, style: str = "medium") -> str:
    """A moment in the service's time zone, in the UI language's format."""
    return format_datetime(moment, style) if moment else "—"


def zone() -> ZoneInfo:
    """The service's time zone."""
    return ZoneInfo(services().settings.timezone)


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` input's value, in the service's time zone."""
    return moment.astimezone(zone()).strftime("%Y-%m-%dT%H:%M:%S") if moment else ""


def parse_moment(text: str, end_of_day: bool = False) -> datetime:
    """A date and time typed in a form (the service's zone unless it names one); a bare date is the start of that
    day, or the start of the next day with ``end_of_day`` (an "until" bound that includes the day).

    Raises ValueError when it is neither.
    """
    text = text.strip().replace(" ", "T", 1)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    try:
        if end_of_day and DATE_ONLY.match(text):
            moment += timedelta(days=1)
        moment.astimezone(UTC)  # the store compares in UTC: 0001-01-01 in UTC+8 has no UTC instant
    except OverflowError as error:
        raise ValueError(f"{text!r} is outside the calendar") from error
    return moment


def display_name(username: str) -> str:
    """A user's display name, read once per request ('' for system actors and users no longer known)."""
    if not username or username.startswith(SYSTEM_PREFIX):
        return ""
    names = g.setdefault("audit_display_names", {})
    if username not in names:
        try:
            names[username] = services().users.view(username).display_name or ""
        except UserNotFound:
            names[username] = ""
    return str(names[username])


def actor_words(actor: Mapping[str, Any] | None) -> dict[str, str]:
    """Who acted, in words: ``user``, ``name`` (display name), ``role`` and ``department`` (code)."""
    actor = actor or {}
    user = str(actor.get("user_id") or actor.get("actor_id") or "")
    if not user or user.startswith(SYSTEM_PREFIX):
        return {"user": user, "name": _("System"), "role": "", "department": ""}
    role = actor.get("role") or actor.get("actor_role")
    return {"user": user, "name": display_name(user), "role": role_label(role) if role else "",
            "department": str(actor.get("department") or actor.get("actor_department") or "")}


def short_hash(digest: str | None) -> str:
    """The first characters of a hash, enough to tell two apart at a glance."""
    return f"{digest[:12]}…" if digest else "—"
