"""The panels of the auditor's case page: the timeline, a past state (replay), a diff, a verify result.

Each builder returns the template's context and the form's errors (field → message); views decide the status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _

from application.audit.queries import case_numbers
from application.common.errors import CaseNotFound
from web.ui.audit.state import case_state, diff_rows, names_of
from web.ui.audit.words import actor_words, parse_moment, problem_words, when
from web.ui.i18n import is_english, localized_name
from web.ui.session import current_actor
from web.ui.urls import services, whole_number

Errors = dict[str, str]
# The instants a case can be replayed at: past them, its due dates would leave Python's calendar (as the API's as_of).
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)


def timeline(case_id: str) -> dict[str, Any]:
    """The case now, every event of it in words (who, when, what, why, hashes) and its chain head."""
    cases, actor = services().cases, current_actor()
    case = cases.reads.get_case(actor, case_id)
    lang = "en" if is_english() else "zh"
    events = [{**entry, "words": entry["text"][lang], "who": actor_words(entry["actor"])}
              for entry in cases.reads.history(actor, case.id)]
    return {"case": case, "case_id": str(case.id), "events": events, "chain_head": cases.reads.chain_head(case.id),
            "bundle_name": _bundle_name(case.bundle), "choices": choices(events)}


def choices(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The events as options of a select: position, time and the start of what happened."""
    lang = "en" if is_english() else "zh"
    return [(str(e["position"]), f"{e['position']} · {when(e['at'], 'short')} · {_clip(e['text'][lang])}")
            for e in events]


def replay(case_id: str, args: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """The case as it stood at ``version`` or at the instant ``as_of`` (which wins when both are given)."""
    cases, actor = services().cases, current_actor()
    current = cases.reads.get_case(actor, case_id)
    version_text, as_of_text = (args.get("version") or "").strip(), (args.get("as_of") or "").strip()
    base = {"case_id": str(current.id), "current_version": current.version, "version": version_text,
            "as_of": as_of_text, "choices": choices(cases.reads.history(actor, current.id))}
    if as_of_text:
        try:
            moment = parse_moment(as_of_text)
            if not EARLIEST <= moment <= LATEST:
                raise ValueError(f"{as_of_text!r} is outside {EARLIEST.year}–{LATEST.year}")
        except ValueError:
            return base, {"as_of": _("Enter a date and time, for example 2025-03-05 14:30.")}
        if moment < current.created_on:
            return {**base, "not_yet": moment, "opened_at": current.created_on}, {}
        try:
            then = cases.reads.case_as_of(actor, current.id, moment)
        except CaseNotFound:  # no event by then (the check above should have said so)
            return {**base, "not_yet": moment, "opened_at": current.created_on}, {}
    else:
        version = _whole(version_text, 1, current.version)
        if version is None:
            return base, {"version": _("Choose an event from 1 to %(last)s.", last=current.version)}
        then = current if version == current.version else cases.reads.get_case(actor, current.id, version)
        moment = then.modified_on
    state = case_state(then, cases.reads.context_then(then, moment))
    return {**base, "moment": moment, "by_instant": bool(as_of_text), "state": state,
            "last_event_at": then.modified_on, "head": cases.reads.chain_head(current.id, then.version)}, {}


def diff(case_id: str, args: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """What changed between two versions of the case: summary lines in the UI's language and each field."""
    cases, actor = services().cases, current_actor()
    current = cases.reads.get_case(actor, case_id)
    texts = {name: (args.get(name) or "").strip() for name in ("from", "to")}
    base = {"case_id": str(current.id), "current_version": current.version, **texts,
            "choices": choices(cases.reads.history(actor, current.id))}
    first, last = (_whole(texts[name], 1, current.version) for name in ("from", "to"))
    if first is None or last is None:
        return base, {name: _("Choose a version from 1 to %(last)s.", last=current.version)
                      for name, number in (("from", first), ("to", last)) if number is None}
    if first > last:
        return base, {"from": _("The first version must not come after the second.")}
    changes = cases.reads.diff(actor, current.id, first, last)
    lines = changes["summary"]["en" if is_english() else "zh"]
    return {**base, "lines": lines, "rows": diff_rows(changes, names_of(current)),
            "from_version": first, "to_version": last}, {}


def verify(case_id: str | None = None) -> dict[str, Any]:
    """Verify one case's chain (or the whole record) and say what was found, in words."""
    report = services().audit.verify(current_actor(), case_id)
    numbers = _case_numbers({b["case"] for b in report["broken"] if b["application"] == "Cases"})
    broken = [{**b, "words": problem_words(b["problem"]), "number": numbers.get(b["case"])} for b in report["broken"]]
    return {**report, "broken": broken, "scope": "case" if case_id else "store", "case_id": case_id,
            "checkpoint_words": [problem_words(p) for p in report["checkpoint_problems"]]}


def _case_numbers(case_ids: set[str]) -> dict[str, str]:
    return case_numbers(services().queries, current_actor(), case_ids) if case_ids else {}


def _bundle_name(code: str) -> str:
    rows = {row["code"]: row for row in services().queries.published_bundles()}
    return localized_name(rows.get(code), code)


def _clip(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _whole(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, else None."""
    return whole_number(text, low, high)
