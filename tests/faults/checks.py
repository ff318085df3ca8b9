"""What the store holds after a fault run: each key's events, opened applicants, read models vs a rebuild."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from tests.faults.workload import Ledger, Write


@dataclass
class StoreFacts:
    """The cases' events as the store has them, by the request (key = reason) that wrote them."""

    events_by_key: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    command_end: dict[str, int] = field(default_factory=dict)  # key -> the case version its command left
    applicants: Counter[str] = field(default_factory=Counter)  # opened cases per applicant name


def store_facts(services: Any, prefix: str) -> StoreFacts:
    """Read every case event once, in notification order."""
    app, facts = services.cases, StoreFacts()
    last_key: dict[Any, str] = {}  # case id -> the key whose command wrote its latest event
    start = 0
    while notifications := app.recorder.select_notifications(start, 500, inclusive_of_start=False):
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            reason = getattr(event, "reason", "")
            if reason.startswith(prefix):
                facts.events_by_key[reason].append(event)
                last_key[event.originator_id] = reason
                if type(event).__name__ == "Opened":
                    facts.applicants[event.applicant["name"]] += 1
            if event.originator_id in last_key:  # events a command derives (clocks, completion) follow it
                facts.command_end[last_key[event.originator_id]] = event.originator_version
        start = notifications[-1].id
    return facts


@dataclass
class Verdict:
    """The figures of a run: lost, duplicated, answers that do not describe their own write."""

    lost: list[str]
    duplicated: list[str]
    wrong_answers: list[str]


def judge(ledger: Ledger, facts: StoreFacts) -> Verdict:
    """Compare what the clients were told with what the store holds."""
    acknowledged = ledger.acknowledged()
    lost = [w.key for w in acknowledged if not facts.events_by_key.get(w.key)]
    duplicated = [f"{key}: {len(events)} events {[type(e).__name__ for e in events]}"
                  for key, events in facts.events_by_key.items() if len(events) > 1]
    duplicated += [f"{name}: opened {count} times" for name, count in facts.applicants.items() if count > 1]
    wrong = [_wrong_answer(w, facts) for w in ledger.writes]
    return Verdict(lost, duplicated, [w for w in wrong if w])


def _wrong_answer(write: Write, facts: StoreFacts) -> str | None:
    """Why the answer to ``write`` is not the case as its own command left it (None if it is)."""
    if write.answer is None:
        return f"{write.key} {write.path}: never answered"
    if write.answer.status != write.expected:
        return f"{write.key} {write.path}: {write.answer.status} {write.answer.body[:200]!r}"
    version, end = write.answer.json().get("version"), facts.command_end.get(write.key)
    if version != end:
        return f"{write.key} {write.path}: answered version {version}, its command left version {end}"
    return None


def read_model_rows(services: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model and tracking table, sorted."""
    from infrastructure.readmodels.tables import metadata

    rows = {}
    with services.runner.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows[table.name] = sorted((tuple(r) for r in connection.execute(select(table))), key=repr)
    return rows


def differences_after_rebuild(services: Any) -> dict[str, int]:
    """Catch the read models up, rebuild them from the events, and count rows that differ per table."""
    services.runner.catch_up()
    before = read_model_rows(services)
    services.runner.reset()
    services.runner.catch_up()
    after = read_model_rows(services)
    return {name: len(set(before[name]) ^ set(after.get(name, []))) + abs(len(before[name]) - len(after[name]))
            for name in before if before[name] != after.get(name)}
