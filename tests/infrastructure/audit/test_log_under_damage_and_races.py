"""The tamper-evident record under damage, races and large logs: each test pins one behaviour.

* a deleted audit-log row in the middle made every later follow() fail on a duplicate position (positions
  were ``count(*)``), so ``audit verify`` crashed instead of naming the case;
* two followers racing on SQLite (no advisory lock there): the loser's follow() — and so ``audit verify`` —
  raised the unique-position error instead of reading again;
* verify compared a log entry's version and hash with its row, not its aggregate: an entry re-attributed to
  another case passed ``verify --case`` (and the whole verify, outside a checkpoint), and on SQLite a reused
  row id named the wrong position and hid the new event that was never logged;
* the server signed a new checkpoint over a log that no longer gives the roots it signed before;
* ``checkpoint()`` (every ``ONETHING_AUDIT_INTERVAL`` seconds) read and hashed the whole log even when no
  checkpoint was due; verify held every log row in memory;
* inclusion proofs of a case cost O(log size) per event, consistency proofs in a bundle O(log size) per
  checkpoint — O(n·k);
* a row with a NULL hash made the offline verifier stop with "unusable input" (exit 2) instead of naming it.
"""

from __future__ import annotations

import json
import os
import tracemalloc
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, event, insert, select, text, update

from infrastructure.audit import offline_verifier as ov
from infrastructure.audit.bundle import write_bundle
from infrastructure.audit.log import AuditLog, audit_checkpoints, audit_log
from infrastructure.audit.verify import ChainVerifier
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import INTAKE, SUPERVISOR
from tests.infrastructure.audit.test_tamper import rewrite_chain_from, row, table


@pytest.fixture
def recorded(any_services):
    """A completed case A, an open case B, all logged under a signed checkpoint."""
    services = any_services
    ov.generate_key(services.settings.audit_key)
    a = open_restaurant(services)
    complete_restaurant(services, a)
    b = open_restaurant(services)
    submit_all(services, b)
    assert services.audit.checkpoint(None) is not None
    assert services.audit.verify(None)["ok"]
    return services, a, b


@pytest.fixture
def recorded_sqlite(services):
    ov.generate_key(services.settings.audit_key)
    a = open_restaurant(services)
    complete_restaurant(services, a)
    b = open_restaurant(services)
    submit_all(services, b)
    assert services.audit.checkpoint(None) is not None
    return services, a, b


def named(report) -> set[tuple[str, int]]:
    return {(b["case"], b["position"]) for b in report["broken"]}


def execute(services, statement) -> None:
    with services.runner.engine.begin() as connection:
        connection.execute(statement)


def log_position(services, case_id, version) -> int:
    with services.runner.engine.connect() as connection:
        return connection.execute(select(audit_log.c.position).where(
            audit_log.c.originator_id == str(case_id), audit_log.c.version == version)).scalar_one()


def dense(services) -> bool:
    with services.runner.engine.connect() as connection:
        positions = connection.execute(select(audit_log.c.position).order_by(audit_log.c.position)).scalars().all()
    return positions == list(range(len(positions)))


# ------------------------------------------------------------------------------------ the follower


def test_a_deleted_log_row_is_named_by_verify_instead_of_jamming_the_follower(recorded):
    services, a, _ = recorded
    execute(services, delete(audit_log).where(audit_log.c.position == log_position(services, a, 3)))
    services.cases.intake.rate(INTAKE, a, 5)  # a new event: the follower must still append it
    report = services.audit.verify(None)  # raised IntegrityError (duplicate position) before the fix
    assert (str(a), 3) in named(report) and not report["ok"]
    assert report["not_yet_logged"] == 0


def test_two_followers_racing_on_sqlite_both_finish_and_positions_stay_dense(recorded_sqlite):
    services, a, _ = recorded_sqlite
    services.cases.intake.rate(INTAKE, a, 4)
    engine = services.runner.engine
    other = AuditLog(engine, services.event_recorders(), services.audit_log.key)  # another process's follower
    raced = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO audit_log") and not raced:
            raced.append(0)
            raced[0] = other.follow()  # commits the same positions first

    event.listen(engine, "before_cursor_execute", before)
    try:
        services.audit_log.follow()  # raised IntegrityError before the fix
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert raced == [1] and dense(services)
    assert services.audit_log.size() == services.runner.total_events()


# ------------------------------------------------------------------------------------ verify


def test_a_log_entry_moved_to_another_case_is_caught(recorded):
    services, a, b = recorded
    services.cases.intake.rate(INTAKE, a, 5)
    services.audit_log.follow()  # logged, not yet in a checkpoint
    last = services.cases.load(a).version
    execute(services, update(audit_log).where(audit_log.c.originator_id == str(a), audit_log.c.version == last)
            .values(originator_id=str(b)))
    assert (str(a), last) in named(services.audit.verify(None, a))
    report = services.audit.verify(None)
    assert (str(a), last) in named(report) and not report["ok"]


def _entry_after_the_checkpoint(services, a) -> tuple[int, int]:
    """A new event of case A, logged but in no signed checkpoint yet (so only its row can contradict its entry):
    its version and log position."""
    services.cases.intake.rate(INTAKE, a, 5)
    services.audit_log.follow()
    last = services.cases.load(a).version
    return last, log_position(services, a, last)


@pytest.mark.parametrize("change", [
    pytest.param({"event_hash": b"\x07" * 32}, id="its hash"),
    pytest.param({"version": 1}, id="its version"),
    pytest.param({"notification_id": 10_000}, id="its notification id"),
])
def test_a_log_entry_changed_after_the_checkpoint_names_its_event(recorded, change):
    services, a, _ = recorded
    last, position = _entry_after_the_checkpoint(services, a)
    execute(services, update(audit_log).where(audit_log.c.position == position).values(**change))
    report = services.audit.verify(None)
    assert not report["ok"] and report["checkpoint_problems"] == []
    assert any(case == str(a) and version in (1, last) for case, version in named(report)), report["broken"]


def test_a_log_entry_deleted_after_the_checkpoint_names_its_event(recorded):
    services, a, _ = recorded
    last, position = _entry_after_the_checkpoint(services, a)
    open_restaurant(services)  # logged after it: the deleted entry is a hole, not the log's end
    services.audit_log.follow()
    execute(services, delete(audit_log).where(audit_log.c.position == position))
    report = services.audit.verify(None)
    assert (str(a), last) in named(report) and not report["ok"]
    assert any("not in the audit log" in b["problem"] for b in report["broken"])


def test_an_extra_log_entry_for_no_event_is_named(recorded):
    services, a, _ = recorded
    size = services.audit_log.size()
    ghost = str(uuid.uuid4())
    with services.runner.engine.begin() as connection:
        last = connection.execute(select(audit_log.c.notification_id).where(
            audit_log.c.application == "Cases").order_by(audit_log.c.notification_id.desc())).first()[0]
        connection.execute(insert(audit_log).values(position=size, application="Cases", notification_id=last + 1000,
                                                    originator_id=ghost, version=1, event_hash=b"\x01" * 32))
    report = services.audit.verify(None)
    assert (ghost, 1) in named(report) and not report["ok"]
    assert "missing from the store" in report["broken"][0]["problem"]


def test_events_the_log_has_not_reached_yet_are_counted_not_named(recorded):
    services, a, _ = recorded
    services.cases.intake.rate(INTAKE, a, 5)  # stored, not yet followed into the log
    verifier = ChainVerifier(services.event_recorders(), services.audit_log,
                             public_key=lambda: services.audit_log.key.public_pem())
    report = verifier.verify()
    assert report.ok and report.not_yet_logged == 1, report


def test_a_log_entry_naming_its_case_in_capitals_still_verifies_on_sqlite(recorded_sqlite):
    """SQLite compares aggregate ids as hex digits, whatever their case (the exact comparison decides)."""
    services, a, _ = recorded_sqlite
    services.cases.intake.rate(INTAKE, a, 5)
    services.audit_log.follow()
    last = services.cases.load(a).version
    execute(services, update(audit_log).where(audit_log.c.originator_id == str(a), audit_log.c.version == last)
            .values(originator_id=str(a).upper()))
    assert services.audit.verify(None)["ok"]


def test_on_sqlite_a_reused_row_id_names_the_deleted_event_and_the_unlogged_one(recorded_sqlite):
    services, a, b = recorded_sqlite
    last = services.cases.load(b).version
    t = table(services)
    execute(services, delete(t).where((t.c.originator_id == b) & (t.c.originator_version == last)))
    c = open_restaurant(services)  # SQLite gives its first event the deleted row's id
    report = services.audit.verify(None)
    assert {(str(b), last), (str(c), 1)} <= named(report), report["broken"]


def test_a_hole_in_the_log_positions_is_reported(recorded):
    services, a, _ = recorded
    services.cases.intake.rate(INTAKE, a, 5)
    services.audit_log.follow()
    last = services.audit_log.size() - 1
    execute(services, update(audit_log).where(audit_log.c.position == last).values(position=last + 7))
    report = services.audit.verify(None)
    assert not report["ok"] and any("position" in p for p in report["checkpoint_problems"])


def test_verify_does_not_hold_the_whole_log_in_memory(services):
    ov.generate_key(services.settings.audit_key)
    verifier = ChainVerifier(services.event_recorders(), services.audit_log,
                             public_key=lambda: services.audit_log.key.public_pem())

    def peak_of_verify() -> int:
        services.audit_log.checkpoint(force=True)
        tracemalloc.start()
        try:
            report = verifier.verify()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert report.ok, report

    _synthetic(services, 20_000)
    small = peak_of_verify()
    _synthetic(services, 60_000)
    large = peak_of_verify()  # 4 times the log: held in memory, 4 times the peak (31 MB here before the fix)
    assert large < 1.5 * small, f"peaks: {small / 1e6:.1f} MB for 20,000 log entries, {large / 1e6:.1f} MB for 80,000"


# ------------------------------------------------------------------------------------ checkpoints


def test_the_server_does_not_sign_over_a_log_that_contradicts_its_last_checkpoint(recorded, tmp_path):
    services, a, _ = recorded
    state = bytes(row(services, a, 2).state).replace(b".pdf", b".pdg", 1)
    rewrite_chain_from(services, a, 2, state)
    t = table(services)
    with services.runner.engine.begin() as connection:  # the insider rewrites the log to match
        for version, digest in connection.execute(select(t.c.originator_version, t.c.hash).where(
                t.c.originator_id == a)).all():
            connection.execute(update(audit_log).where(
                (audit_log.c.originator_id == str(a)) & (audit_log.c.version == version)).values(event_hash=digest))
    services.cases.intake.rate(INTAKE, a, 5)
    before = services.audit_log.checkpoints()
    with pytest.raises(RuntimeError, match="size"):
        services.audit_log.checkpoint(force=True)
    assert services.audit_log.checkpoints() == before
    write_bundle(tmp_path / "b", services.event_recorders(), services.audit_log)  # the evidence still goes out
    assert ov.main([str(tmp_path / "b")]) == 1


def test_a_checkpoint_that_is_not_due_reads_no_log_and_a_due_one_streams_it(recorded, monkeypatch):
    services, a, _ = recorded
    services.cases.intake.rate(INTAKE, a, 5)
    services.audit_log.follow()
    expected = ov.merkle_root(services.audit_log.leaf_hashes())

    def whole_log(*args, **kwargs):
        raise AssertionError("checkpoint() read the whole log into memory")

    monkeypatch.setattr(AuditLog, "entries", whole_log)
    assert services.audit_log.checkpoint() is None  # 1 new event, 1000 needed: not due
    signed = services.audit_log.checkpoint(force=True)
    assert signed is not None and signed["root"] == expected.hex()
    assert signed["size"] == services.runner.total_events()


def test_two_signers_at_once_do_not_fail(recorded):
    services, a, _ = recorded
    services.cases.intake.rate(INTAKE, a, 5)
    services.audit_log.follow()
    other = AuditLog(services.runner.engine, services.event_recorders(), services.audit_log.key)
    signed = services.audit_log.checkpoint(force=True)
    assert signed is not None
    with services.runner.engine.begin() as connection:  # the other process read the size before this one signed
        connection.execute(delete(audit_checkpoints).where(audit_checkpoints.c.size == signed["size"]))
    engine = services.runner.engine
    fired = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO audit_checkpoints") and not fired:
            fired.append(1)
            with engine.begin() as connection:
                connection.execute(insert(audit_checkpoints).values(**signed))

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert other.checkpoint(force=True) is None  # raised IntegrityError before the fix
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert [c["size"] for c in services.audit_log.checkpoints()][-1] == signed["size"]


# ------------------------------------------------------------------------------------ proofs


def _synthetic(services, n: int, every: int | None = None) -> None:
    """n log entries of another application after the real ones (their events are not in any store);
    with ``every``, a signed checkpoint each ``every`` entries."""
    services.audit_log.follow()
    start = services.audit_log.size()
    rows = [{"position": start + i, "application": "Synthetic", "notification_id": start + i + 1,
             "originator_id": str(uuid.UUID(int=i + 1)), "version": 1, "event_hash": os.urandom(32)}
            for i in range(n)]
    with services.runner.engine.begin() as connection:
        connection.execute(audit_log.insert(), rows)
    if every:
        leaves = services.audit_log.leaf_hashes()
        key = services.audit_log.key.private
        roots = ov.prefix_roots(leaves, range(every, len(leaves) + 1, every))
        with services.runner.engine.begin() as connection:
            for size, root in sorted(roots.items()):
                signed = ov.sign_checkpoint(key, size, root, "2024-01-01T00:00:00+00:00")
                connection.execute(audit_checkpoints.insert(), {k: signed[k] for k in (
                    "size", "root", "timestamp", "key_id", "signature")})


def counting(monkeypatch) -> list[int]:
    calls = [0]
    real = ov.node_hash

    def node_hash(left: bytes, right: bytes) -> bytes:
        calls[0] += 1
        return real(left, right)

    monkeypatch.setattr(ov, "node_hash", node_hash)
    return calls


def test_a_case_proof_costs_one_pass_over_the_log_not_one_per_event(services, monkeypatch):
    ov.generate_key(services.settings.audit_key)
    a = open_restaurant(services)
    _synthetic(services, 4096)
    complete_restaurant(services, a)
    services.audit_log.checkpoint(force=True)
    size = services.audit_log.size()
    calls = counting(monkeypatch)
    proof = {"case": str(a), "application": "Cases", **services.audit_log.case_proof("Cases", str(a))}
    assert len(proof["events"]) == services.cases.load(a).version >= 8
    assert calls[0] < 2 * size, f"{calls[0]} node hashes for {len(proof['events'])} proofs in a log of {size}"
    monkeypatch.undo()
    assert ov.verify_case_proof(ov.load_public_key(services.audit_log.key.public_pem()), proof) == []


def test_a_bundles_consistency_proofs_cost_one_pass_not_one_per_checkpoint(services, monkeypatch, tmp_path: Path):
    ov.generate_key(services.settings.audit_key)
    open_restaurant(services)
    _synthetic(services, 4096, every=64)
    leaves = services.audit_log.leaf_hashes()
    calls = counting(monkeypatch)
    write_bundle(tmp_path / "bundle", services.event_recorders(), services.audit_log)
    n = len(leaves)
    assert calls[0] < 3 * n, f"{calls[0]} node hashes for {n} leaves"
    monkeypatch.undo()
    lines = (tmp_path / "bundle" / "checkpoints.jsonl").read_text().splitlines()
    checkpoints = [json.loads(line) for line in lines]
    assert len(checkpoints) >= 64
    for before, after in zip(checkpoints, checkpoints[1:], strict=False):
        assert after["consistency"] == [h.hex() for h in ov.consistency_proof(before["size"],
                                                                              leaves[:after["size"]])]


def test_tree_proofs_equal_the_rfc_functions():
    leaves = [ov.leaf_hash(bytes([i % 256, i // 256])) for i in range(70)]
    tree = ov.MerkleTree(leaves)
    for n in range(0, 71):
        assert tree.root(n) == ov.merkle_root(leaves[:n])
        for m in range(n):
            assert tree.inclusion_proof(m, n) == ov.inclusion_proof(m, leaves[:n])
        for m in range(n + 1):
            assert tree.consistency_proof(m, n) == ov.consistency_proof(m, leaves[:n])


# ------------------------------------------------------------------------------------ offline


def test_a_null_hash_in_a_bundle_is_a_named_problem_not_unusable_input(recorded_sqlite, tmp_path, capsys):
    services, a, _ = recorded_sqlite
    t = table(services)
    execute(services, update(t).where((t.c.originator_id == a) & (t.c.originator_version == 3)).values(hash=None))
    write_bundle(tmp_path / "b", services.event_recorders(), services.audit_log)
    assert ov.main([str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert f"{a} version 3" in out


def test_an_entry_copied_over_another_after_the_checkpoint_cannot_hide_the_row_it_replaced(recorded):
    """With the log's unique index dropped, an insider turns the entry of one new event into a copy of the next
    one's: the entries still match rows one for one in number, but one row is no longer logged. Verify names it."""
    services, a, b = recorded
    first, replaced = _entry_after_the_checkpoint(services, a)
    services.cases.supervision.escalate(SUPERVISOR, b, "slow", 1)
    services.audit_log.follow()
    copied = log_position(services, b, services.cases.load(b).version)
    execute(services, text("DROP INDEX ix_audit_log_notification"))
    with services.runner.engine.connect() as connection:
        copy = connection.execute(select(audit_log).where(audit_log.c.position == copied)).mappings().one()
    execute(services, update(audit_log).where(audit_log.c.position == replaced).values(
        originator_id=copy["originator_id"], notification_id=copy["notification_id"], version=copy["version"],
        event_hash=copy["event_hash"]))
    report = services.audit.verify(None)
    assert (str(a), first) in named(report) and not report["ok"], report
