"""Tampering with stored event rows by hand, with SQL, is detected — naming the case and the first bad position.

On SQLite and PostgreSQL: one byte of an event's data changed, an event deleted, a case's last event deleted,
two events swapped, a whole chain rewritten consistently (caught by the audit log), and the same with the
log rewritten too (caught only by the signed checkpoint).
"""

from __future__ import annotations

from uuid import UUID

import pytest
from sqlalchemy import delete, select, update

from infrastructure.audit.log import audit_log
from infrastructure.audit.offline_verifier import GENESIS, event_hash, generate_key
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import INTAKE


@pytest.fixture
def recorded(any_services):
    """A completed case A, an open case B with two materials, all logged under a signed checkpoint."""
    services = any_services
    generate_key(services.settings.audit_key)
    a = open_restaurant(services)
    complete_restaurant(services, a)
    b = open_restaurant(services)
    submit_all(services, b)
    assert services.audit.checkpoint(None) is not None
    report = services.audit.verify(None)
    assert report["ok"], report
    return services, a, b


def table(services):
    return services.cases.recorder.events_record_cls.__table__


def row(services, case_id: UUID, version: int):
    t = table(services)
    with services.runner.engine.connect() as connection:
        return connection.execute(select(t).where(t.c.originator_id == case_id,
                                                  t.c.originator_version == version)).one()


def execute(services, statement) -> None:
    with services.runner.engine.begin() as connection:
        connection.execute(statement)


def where(services, case_id: UUID, version: int):
    t = table(services)
    return (t.c.originator_id == case_id) & (t.c.originator_version == version)


def broken(services, case_id: UUID | None = None) -> list[tuple[str, int]]:
    report = services.audit.verify(None, case_id)
    assert report["ok"] is (not report["broken"] and not report["checkpoint_problems"])
    return [(b["case"], b["position"]) for b in report["broken"]]


def test_an_untouched_store_verifies(recorded):
    services, a, b = recorded
    report = services.audit.verify(None)
    assert (report["ok"], report["cases_checked"], report["checkpoints_checked"]) == (True, 2, 1)
    assert report["events_checked"] == services.runner.total_events()


def test_one_byte_of_an_events_data_changed(recorded):
    services, a, b = recorded
    state = bytes(row(services, a, 2).state)
    assert b".pdf" in state
    execute(services, update(table(services)).where(where(services, a, 2)).values(
        state=state.replace(b".pdf", b".pdg", 1)))
    assert broken(services) == [(str(a), 2)]
    assert broken(services, a) == [(str(a), 2)]
    assert broken(services, b) == []


def test_an_event_deleted(recorded):
    services, a, _ = recorded
    execute(services, delete(table(services)).where(where(services, a, 4)))
    assert broken(services) == [(str(a), 4)]


def test_a_cases_last_event_deleted(recorded):
    services, _, b = recorded
    last = services.cases.load(b).version
    execute(services, delete(table(services)).where(where(services, b, last)))
    report = services.audit.verify(None)
    assert [(x["case"], x["position"]) for x in report["broken"]] == [(str(b), last)]
    assert "missing from the store" in report["broken"][0]["problem"]


def test_two_events_swapped(recorded):
    services, a, _ = recorded
    third, fourth = row(services, a, 3), row(services, a, 4)
    columns = ("topic", "state", "hash", "prev_hash")
    execute(services, update(table(services)).where(where(services, a, 3)).values(
        **{c: getattr(fourth, c) for c in columns}))
    execute(services, update(table(services)).where(where(services, a, 4)).values(
        **{c: getattr(third, c) for c in columns}))
    assert broken(services) == [(str(a), 3)]


def rewrite_chain_from(services, case_id: UUID, version: int, state: bytes) -> None:
    """Replace one event's data and recompute every hash from there on: a consistent chain."""
    t = table(services)
    execute(services, update(t).where(where(services, case_id, version)).values(state=state))
    with services.runner.engine.begin() as connection:
        rows = connection.execute(select(t.c.originator_version, t.c.topic, t.c.state).where(
            t.c.originator_id == case_id).order_by(t.c.originator_version)).all()
        prev = GENESIS
        for v, topic, data in rows:
            digest = event_hash(prev, case_id, v, topic, bytes(data))
            connection.execute(update(t).where(where(services, case_id, v)).values(hash=digest, prev_hash=prev))
            prev = digest


def test_a_whole_chain_rewritten_consistently_is_caught_by_the_audit_log(recorded):
    services, a, _ = recorded
    state = bytes(row(services, a, 2).state).replace(b".pdf", b".pdg", 1)
    rewrite_chain_from(services, a, 2, state)
    report = services.audit.verify(None)
    assert [(x["case"], x["position"]) for x in report["broken"]] == [(str(a), 2)]
    assert "differs from the audit log" in report["broken"][0]["problem"]


def test_a_chain_and_its_log_entries_rewritten_are_caught_by_the_signed_checkpoint(recorded):
    services, a, _ = recorded
    state = bytes(row(services, a, 2).state).replace(b".pdf", b".pdg", 1)
    rewrite_chain_from(services, a, 2, state)
    t = table(services)
    with services.runner.engine.begin() as connection:  # the insider rewrites the log to match
        for version, digest in connection.execute(select(t.c.originator_version, t.c.hash).where(
                t.c.originator_id == a)).all():
            connection.execute(update(audit_log).where(
                (audit_log.c.originator_id == str(a)) & (audit_log.c.version == version)).values(event_hash=digest))
    report = services.audit.verify(None)
    assert report["broken"] == [] and report["ok"] is False
    assert len(report["checkpoint_problems"]) == 1
    assert "no longer give its root" in report["checkpoint_problems"][0]


def test_a_modified_checkpoint_is_refused(recorded):
    from infrastructure.audit.log import audit_checkpoints

    services, _, _ = recorded
    execute(services, update(audit_checkpoints).values(root="00" * 32))
    report = services.audit.verify(None)
    assert report["ok"] is False and "signature does not verify" in report["checkpoint_problems"][0]


def test_events_recorded_after_the_checkpoint_are_logged_by_the_next_verify(recorded):
    services, a, _ = recorded
    before = services.audit_log.size()
    services.cases.intake.rate(INTAKE, a, 5)
    report = services.audit.verify(None)
    assert report["ok"] and services.audit_log.size() == before + 1
    assert services.audit_log.checkpoints()[-1]["size"] == before  # not signed until due or asked
