"""``onething audit``: keygen, verify, checkpoint, export and the offline bundle with its own verifier.

On SQLite and PostgreSQL. Tampering is done with SQL (the store) or by editing the bundle (events.jsonl).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from infrastructure.audit.offline_verifier import generate_key, load_private_key
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import ADMIN, make_services, restaurant_file
from web.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    """Run ``onething`` on a database with the restaurant bundle; the key path is ``run.key`` (absent at first)."""
    key = tmp_path / "keys" / "audit-key.pem"
    monkeypatch.setenv("ONETHING_DATABASE_URL", database_url)
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(key))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "init").exit_code == 0
    services = make_services(database_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    run.services = services  # type: ignore[attr-defined]
    run.key = key  # type: ignore[attr-defined]
    return run


@pytest.fixture
def two_cases(cli):
    """A completed case and an open one with its materials."""
    services = cli.services
    done = open_restaurant(services)
    complete_restaurant(services, done)
    pending = open_restaurant(services)
    submit_all(services, pending)
    return done, pending


def tamper(services, case_id: UUID, version: int) -> None:
    """Change one byte of a stored event's data with SQL."""
    table = services.cases.recorder.events_record_cls.__table__
    where = (table.c.originator_id == case_id) & (table.c.originator_version == version)
    with services.runner.engine.begin() as connection:
        state = bytes(connection.execute(select(table.c.state).where(where)).scalar_one())
        assert b".pdf" in state
        connection.execute(update(table).where(where).values(state=state.replace(b".pdf", b".pdg", 1)))


# keygen -------------------------------------------------------------------------------------------
def test_keygen_writes_a_private_key_only_its_owner_reads(cli):
    result = cli("audit", "keygen")
    assert result.exit_code == 0, result.output
    assert cli.key.is_file() and str(cli.key) in result.output and "key id" in result.output
    assert stat.S_IMODE(os.stat(cli.key).st_mode) == 0o600
    load_private_key(cli.key)  # an Ed25519 key the server can sign with


def test_keygen_never_overwrites_a_key(cli):
    assert cli("audit", "keygen").exit_code == 0
    pem = cli.key.read_bytes()
    again = cli("audit", "keygen")
    assert again.exit_code == 0
    assert "exists" in again.output and "keeping it" in again.output
    assert cli.key.read_bytes() == pem


# verify -------------------------------------------------------------------------------------------
def test_verify_a_clean_store_exits_0(cli, two_cases):
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:") and "2 cases" in result.output
    assert f"{cli.services.runner.total_events()} events" in result.output
    assert "BROKEN" not in result.output


def test_verify_after_tampering_exits_1_naming_the_case_and_position(cli, two_cases):
    done, pending = two_cases
    tamper(cli.services, pending, 3)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    broken = [line for line in result.output.splitlines() if line.startswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(f"BROKEN Cases {pending} at position 3")
    assert "FAILED" in result.output and "OK:" not in result.output


def test_verify_one_case(cli, two_cases):
    done, pending = two_cases
    tamper(cli.services, done, 2)
    clean = cli("audit", "verify", "--case", str(pending))
    assert clean.exit_code == 0 and "OK:" in clean.output and "1 cases" in clean.output
    dirty = cli("audit", "verify", "--case", str(done))
    assert dirty.exit_code == 1 and f"BROKEN Cases {done} at position 2" in dirty.output
    bad = cli("audit", "verify", "--case", "nonsense")
    assert bad.exit_code == 1 and "case" in bad.output and "Traceback" not in bad.output


# checkpoint ---------------------------------------------------------------------------------------
def test_checkpoint_without_a_key_fails_naming_keygen(cli, two_cases):
    result = cli("audit", "checkpoint")
    assert result.exit_code == 1
    assert "onething audit keygen" in result.output and str(cli.key) in result.output
    assert cli.services.audit_log.checkpoints() == []


def test_checkpoint_with_a_key_signs_the_whole_log(cli, two_cases):
    cli.key.parent.mkdir(parents=True)
    generate_key(cli.key)
    total = cli.services.runner.total_events()
    result = cli("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    assert f"checkpoint: size {total}," in result.output
    assert [c["size"] for c in cli.services.audit_log.checkpoints()] == [total]
    again = cli("audit", "checkpoint")
    assert again.exit_code == 0 and f"nothing new since the last checkpoint (size {total})" in again.output


# export -------------------------------------------------------------------------------------------
def test_export_csv_to_standard_output(cli, two_cases):
    done, _ = two_cases
    result = cli("audit", "export", "--case", str(done), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    version = cli.services.cases.load(done).version
    assert rows[0][:3] == ["position", "at", "type"] and "hash" in rows[0]
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, version + 1)]
    assert not result.output.startswith("\ufeff")  # the BOM is for files, not for a terminal


def test_export_json_to_a_file(cli, two_cases, tmp_path):
    done, _ = two_cases
    out = tmp_path / "case.json"
    result = cli("audit", "export", "--case", str(done), "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["case"]["id"] == str(done) and report["verify"]["ok"] is True
    assert len(report["history"]) == cli.services.cases.load(done).version
    assert report["chain_head"] == cli.services.cases.reads.chain_head(done)
    assert f"wrote {out}" in result.output


def test_an_exported_history_is_readable_by_its_owner_only(cli, two_cases, tmp_path):
    done, _ = two_cases
    out = tmp_path / "case.csv"
    out.write_text("old")
    out.chmod(0o644)  # an existing file others could read
    assert cli("audit", "export", "--case", str(done), "--format", "csv", "-o", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600 and "position" in out.read_text(encoding="utf-8-sig")


def test_export_of_no_case_fails_clearly(cli):
    result = cli("audit", "export", "--case", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 1 and "no case" in result.output


# bundle -------------------------------------------------------------------------------------------
def run_verifier(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(out / "verifier.py"), str(out)], capture_output=True, text=True,
                          timeout=120, cwd=out.parent)  # not from the project: the bundle stands alone


def test_bundle_verifies_offline_and_a_changed_event_is_named(cli, two_cases, tmp_path):
    done, _ = two_cases
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    result = cli("audit", "bundle", str(out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {"events.jsonl", "log.jsonl", "checkpoints.jsonl", "public_key.pem",
                                               "verifier.py", "README.txt"}
    events = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(events) == cli.services.runner.total_events()
    clean = run_verifier(out)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    lines = [json.loads(line) for line in events]
    index = next(i for i, e in enumerate(lines)
                 if e["application"] == "Cases" and e["originator_id"] == str(done) and e["version"] == 4)
    state = lines[index]["state_b64"]
    middle = len(state) // 2
    changed = state[:middle] + ("A" if state[middle] != "A" else "B") + state[middle + 1:]
    assert base64.b64decode(changed) != base64.b64decode(state)
    lines[index]["state_b64"] = changed
    (out / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    tampered = run_verifier(out)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    problems = [line for line in tampered.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems and all(f"Cases {done} version 4" in line for line in problems), problems


def credentials(services) -> list[str]:
    """Two users (one with a changed password) and a token each; every password hash and token hash stored,
    and the tokens themselves."""
    from application.users.tokens import token_hash

    secrets, password = [], "Tr1cky-horse-battery-staple"
    for name in ("auditor-a", "auditor-b"):
        services.users.add_user(ADMIN, name, password, "auditor")
        secrets.append(services.users.user(name).password_hash)
        issued = services.tokens.sign_in(name, password)
        secrets += [token_hash(issued.token), issued.token]
    user = services.users.user("auditor-b")
    user.change_password(services.users.hasher.hash("an-0ther-long-passphrase"), ADMIN)
    services.users.save(user)
    secrets.append(services.users.user("auditor-b").password_hash)
    assert len(set(secrets)) == 7 and all(len(secret) >= 40 for secret in secrets)
    return secrets


def test_a_bundle_carries_no_password_or_token_hash_and_still_verifies(cli, two_cases, tmp_path):
    secrets = credentials(cli.services)
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    assert cli("audit", "bundle", str(out)).exit_code == 0
    contents = [path.read_bytes() for path in out.iterdir()]
    contents += [base64.b64decode(json.loads(line)["state_b64"])  # the stored bytes each event carries
                 for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
                 if "state_b64" in json.loads(line)]
    for secret in secrets:
        assert not [data for data in contents if secret.encode() in data], f"{secret[:12]}… left the server"
    redacted = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
                if "state_b64" not in json.loads(line)]
    assert sorted(e["topic"] for e in redacted) == sorted(["domain.users.tokens:ApiToken.Issued"] * 2 + [
        "domain.users.aggregate:User.PasswordChanged"] + ["domain.users.aggregate:User.Registered"] * 2)
    checked = run_verifier(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "5 events redacted (credentials)" in checked.stdout and "cannot be recomputed" in checked.stdout
    assert "redacted" in (out / "README.txt").read_text(encoding="utf-8")


def test_a_bundle_is_readable_by_its_owner_only(cli, two_cases, tmp_path):
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    old_umask = os.umask(0o022)  # a usual umask: new files world-readable unless made otherwise
    try:
        assert cli("audit", "bundle", str(out)).exit_code == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in out.iterdir()}
    assert len(modes) == 6 and set(modes.values()) == {0o600}, modes


@pytest.mark.parametrize("change", ["hash", "prev_hash"])
def test_a_tampered_redacted_event_in_a_bundle_fails_offline(cli, two_cases, tmp_path, change):
    credentials(cli.services)
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    assert cli("audit", "bundle", str(out)).exit_code == 0
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    event = next(e for e in lines if e["topic"] == "domain.users.aggregate:User.PasswordChanged")
    event[change] = "00" * 32
    (out / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    tampered = run_verifier(out)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    problems = [line for line in tampered.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems and all(f"Users {event['originator_id']} version" in line for line in problems), problems


def test_bundle_into_a_non_empty_directory_fails_clearly(cli, two_cases, tmp_path):
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "used"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = cli("audit", "bundle", str(out))
    assert result.exit_code == 1 and "not empty" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_bundle_without_a_key_fails_naming_keygen(cli, two_cases, tmp_path):
    result = cli("audit", "bundle", str(tmp_path / "bundle"))
    assert result.exit_code == 1 and "onething audit keygen" in result.output
    assert not (tmp_path / "bundle").exists()


def test_a_bundle_written_while_the_server_keeps_its_log_verifies(cli, two_cases, tmp_path, monkeypatch):
    """The server logs new events and signs checkpoints every few seconds (``keep_audit_log``), also while a
    bundle of a large store is being written: the bundle must still verify (later events: warnings at most)."""
    from infrastructure.audit import bundle as audit_bundle
    from tests.conftest import SUPERVISOR
    from web.services import Settings, build_services

    done, pending = two_cases
    assert cli("audit", "keygen").exit_code == 0
    server = build_services(Settings(database_url=cli.services.settings.database_url, secret_key="test",
                                     audit_key=str(cli.key)))
    original = audit_bundle._events

    def keep_the_log() -> None:
        server.cases.supervision.escalate(SUPERVISOR, pending, "late")
        server.audit_log.follow()
        assert server.audit_log.checkpoint(force=True) is not None

    def events_while_the_server_works(recorders, *key):
        keep_the_log()  # as the bundle starts reading the stores
        yield from original(recorders, *key)
        keep_the_log()  # as it has read them

    monkeypatch.setattr(audit_bundle, "_events", events_while_the_server_works)
    out = tmp_path / "bundle"
    result = cli("audit", "bundle", str(out))
    assert result.exit_code == 0, result.output
    checked = run_verifier(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr



def bundle_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]


def rewrite(out: Path, lines: list[dict]) -> None:
    (out / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")


def test_a_disabled_user_passed_off_as_a_redacted_password_change_fails_offline(cli, two_cases, tmp_path):
    """The review's attack: hide why a user was disabled by shipping the event without its state under a
    credential topic. The redacted event has no server attestation, so the bundle fails."""
    credentials(cli.services)
    cli.services.users.disable(ADMIN, "auditor-a", "fired for fraud")
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    assert cli("audit", "bundle", str(out)).exit_code == 0
    assert run_verifier(out).returncode == 0
    lines = bundle_lines(out)
    event = next(e for e in lines if e["topic"] == "domain.users.aggregate:User.Disabled")
    assert b"fired for fraud" in base64.b64decode(event["state_b64"])
    del event["state_b64"]
    event["redacted"], event["topic"] = "credentials", "domain.users.aggregate:User.PasswordChanged"
    rewrite(out, lines)
    tampered = run_verifier(out)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    problems = [line for line in tampered.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems == [f"PROBLEM: Users {event['originator_id']} version {event['version']}: redacted without the "
                        "server's attestation: the bundle carries none"], problems


def test_every_redacted_event_of_a_bundle_is_attested_with_the_bundles_key(cli, two_cases, tmp_path):
    from infrastructure.audit.offline_verifier import load_public_key, verify_attestation

    credentials(cli.services)
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    assert cli("audit", "bundle", str(out)).exit_code == 0
    public = load_public_key((out / "public_key.pem").read_bytes())
    lines = bundle_lines(out)
    redacted = [e for e in lines if "state_b64" not in e]
    assert len(redacted) == 5 and not [e for e in lines if "state_b64" in e and "attestation" in e]
    for e in redacted:
        assert e["redacted"] == "credentials" and "unattested" not in e
        assert verify_attestation(public, e["attestation"], e["application"], UUID(e["originator_id"]),
                                  e["version"], e["topic"], bytes.fromhex(e["hash"]), bytes.fromhex(e["prev_hash"]))
    checked = run_verifier(out)
    assert checked.returncode == 0 and "5 events redacted (credentials)" in checked.stdout
    assert "attestations verify" in checked.stdout


@pytest.mark.parametrize("change", ["topic", "version"])
def test_a_redacted_event_with_a_changed_topic_or_version_fails_offline(cli, two_cases, tmp_path, change):
    credentials(cli.services)
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    assert cli("audit", "bundle", str(out)).exit_code == 0
    lines = bundle_lines(out)
    if change == "topic":  # a password change shown as a token's issue (or the other way round)
        event = next(e for e in lines if e["topic"] == "domain.users.tokens:ApiToken.Issued")
        event["topic"] = "domain.users.aggregate:User.PasswordChanged"
    else:  # a password change moved to another place in the user's history
        event = next(e for e in lines if e["topic"] == "domain.users.aggregate:User.PasswordChanged")
        event["version"] += 1
    rewrite(out, lines)
    tampered = run_verifier(out)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert (f"PROBLEM: Users {event['originator_id']} version {event['version']}: redacted, and its attestation "
            "does not verify") in tampered.stdout


def test_a_stored_credential_event_whose_hash_does_not_recompute_is_shipped_redacted_and_unattested(
        cli, two_cases, tmp_path):
    """The server never vouches for a changed row, and never ships a credential either: the row goes out
    without its state, marked unattested, and the offline check fails on it."""
    secrets = credentials(cli.services)
    recorder = cli.services.users.recorder
    table = recorder.events_record_cls.__table__
    changed = secrets[-1].encode()  # the last password hash, in the PasswordChanged event's state
    with cli.services.runner.engine.begin() as connection:
        rows = connection.execute(select(table.c.id, table.c.state).where(
            table.c.topic == "domain.users.aggregate:User.PasswordChanged")).all()
        assert len(rows) == 1 and changed in bytes(rows[0].state)
        connection.execute(update(table).where(table.c.id == rows[0].id).values(
            state=bytes(rows[0].state).replace(b"$argon2", b"$argon3", 1)))
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    result = cli("audit", "bundle", str(out))
    assert result.exit_code == 0, result.output
    contents = [path.read_bytes() for path in out.iterdir()]
    assert not [data for data in contents if changed[8:] in data]  # neither the hash nor the changed row's
    event = next(e for e in bundle_lines(out) if e["topic"] == "domain.users.aggregate:User.PasswordChanged")
    assert "state_b64" not in event and "attestation" not in event and event["unattested"] == "hash-mismatch"
    checked = run_verifier(out)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert [line for line in checked.stdout.splitlines() if line.startswith("PROBLEM")] == [
        f"PROBLEM: Users {event['originator_id']} version {event['version']}: redacted without the server's "
        "attestation: its stored hash does not recompute from its stored contents (the store was changed)"]
