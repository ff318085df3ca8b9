"""``onething audit bundle OUT``: everything an auditor needs to check the record away from the server.

The directory gets the stored events of every event store (bytes as stored, base64), the audit log, the
signed checkpoints with the consistency proof from each to the next, the public key, and the verifier
itself (``infrastructure/audit/offline_verifier.py``, standard library + ``cryptography``), so that
``python verifier.py OUT`` needs nothing else — no server, no database, no decryption key.

With ``--files``, the stored files the events name go too (``files/<sha256>``, ``files.jsonl``): the verifier
re-hashes each one and checks that the event it is listed with is in the chain and names that digest.

Credentials never leave: events that hold a password hash or an API token's hash
(``offline_verifier.CREDENTIAL_EVENTS``) are written without their state, with their hashes and links only,
and with the server's attestation: it recomputes each one's hash from its stored state and signs application,
id, version, topic, hash and prev_hash with the checkpoint key, so the auditor knows the hidden event is the
credential event it claims to be. A row whose hash does not recompute is still written redacted (a credential
never leaves, whatever the row holds) but unattested, and the verifier fails it.
The directory is created 0700 and every file 0600: the bundle holds personal data.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from sqlalchemy import select

from application.materials.files import FileMissing, FileRef, FileStore
from infrastructure.audit import offline_verifier
from infrastructure.audit.log import AuditLog, CheckpointRefused
from infrastructure.eventstore.chain import event_hash
from infrastructure.eventstore.recorders import FastApplicationRecorder, engine_of

README = """OneThing audit bundle
=====================

events.jsonl       every stored event: application, originator_id, version, topic, state_b64 (bytes as
                   stored), hash and prev_hash (hex). Events holding a credential (a user's password hash,
                   an API token's hash) are redacted: "redacted": "credentials", no state_b64, and
                   "attestation": the server's signature, with the checkpoint key, over application,
                   originator_id, version, topic, hash and prev_hash, made after it recomputed the hash
                   from the stored state (format 6 in verifier.py)
log.jsonl          the audit log: position, application, originator_id, version, event_hash
checkpoints.jsonl  signed checkpoints (size, root, timestamp, key_id, signature) with the consistency
                   proof from the previous checkpoint
public_key.pem     the Ed25519 key the checkpoints are signed with
verifier.py        the verifier: needs Python 3.11+ and the `cryptography` package only

files.jsonl        (with --files) each stored file an event names: sha256, application, originator_id,
                   version (the event), case, material, material_version; the files are in files/<sha256>
Check it:   python verifier.py .
Exit 0: every chain, the log and every checkpoint verify. Exit 1: each problem on its own line.
Redacted events: their links, versions and log entries are checked like any other's, and each one's
attestation must verify with public_key.pem, which binds its topic, hash and version: no other event can be
passed off as a redacted credential event. Their hashes cannot be recomputed without their contents (the
verifier says how many there were); the server's `onething audit verify` recomputes them. A redacted event
without a valid attestation fails ("unattested": "hash-mismatch" means its stored hash did not recompute on
the server: the store was changed). Only credential events of the Users store may be redacted.
Compare public_key.pem's fingerprint with the one the operator published before trusting it.
"""


def write_bundle(out: str | Path, recorders: Mapping[str, FastApplicationRecorder], log: AuditLog,
                 progress: Callable[[int], None] = lambda _: None, files: Sequence[FileRef] = (),
                 file_store: FileStore | None = None) -> dict[str, int]:
    """Write the bundle into ``out`` (created; must be empty if it exists); return what it holds. With
    ``files`` (and their ``file_store``), the stored files those events name go too: ``files/<sha256>`` and
    ``files.jsonl``, which the verifier checks against the events and the bytes."""
    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: choose a new directory")
    if not log.key.available:
        raise FileNotFoundError(f"no signing key at {log.key.path}: run `onething audit keygen` first")
    try:
        log.checkpoint(force=True)  # the bundle ends on a checkpoint covering everything logged
    except CheckpointRefused:
        pass  # the log was rewritten: the bundle carries the evidence, and the verifier names it
    # Checkpoints, then the log, then the events: each read covers the one before it, however many events a
    # running server stores, logs and signs meanwhile (those come out as "not yet logged", never as problems).
    checkpoints = log.checkpoints()
    entries = log.entries()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # also an empty directory that was there, whatever the umask
    counts = {"events": 0, "redacted": 0, "log": 0, "checkpoints": 0}
    with _private(target / "events.jsonl") as events:
        for record in _events(recorders, log.key.private):
            _line(events, record)
            counts["events"] += 1
            counts["redacted"] += "state_b64" not in record
            if counts["events"] % 10_000 == 0:
                progress(counts["events"])
    with _private(target / "log.jsonl") as out_log:
        for entry in entries:
            _line(out_log, {"position": entry.position, "application": entry.application,
                            "originator_id": entry.originator_id, "version": entry.version,
                            "event_hash": entry.event_hash.hex()})
        _line(out_log, {"note": f"events stored after log position {len(entries) - 1} were not yet logged"})
    counts["log"] = len(entries)
    tree = offline_verifier.MerkleTree([entry.leaf_hash for entry in entries])  # one tree for every proof
    with _private(target / "checkpoints.jsonl") as out_checkpoints:
        previous = None
        for checkpoint in checkpoints:
            record = {**checkpoint, "log": "onething"}
            if previous is not None:  # none past the log's end (rows deleted): the verifier names that checkpoint
                proof = tree.consistency_proof(previous, checkpoint["size"]) if checkpoint["size"] <= tree.size else []
                record["consistency"] = [h.hex() for h in proof]
            _line(out_checkpoints, record)
            previous = checkpoint["size"]
            counts["checkpoints"] += 1
    if file_store is not None:
        counts["files"] = _write_files(target, files, file_store)
    with _private(target / "public_key.pem") as pem:
        pem.write(log.key.public_pem().decode("ascii"))
    with _private(target / "verifier.py") as verifier:
        verifier.write(Path(offline_verifier.__file__).read_text(encoding="utf-8"))
    with _private(target / "README.txt") as readme:
        readme.write(README)
    return counts


def _write_files(target: Path, files: Sequence[FileRef], store: FileStore) -> int:
    """``files.jsonl`` (which event names which file) and each file once under ``files/`` (0600). A file the
    store no longer has, or whose bytes changed, is written as found (or left out): the verifier names it."""
    folder = target / "files"
    folder.mkdir(mode=0o700)
    copied: set[str] = set()
    with _private(target / "files.jsonl") as manifest:
        for ref in files:
            _line(manifest, {"sha256": ref.sha256, "application": "Cases", "originator_id": ref.case_id,
                             "version": ref.event_version, "case": ref.case_number, "material": ref.key,
                             "material_version": ref.version})
            if ref.sha256 in copied:
                continue
            try:
                with store.open(ref.sha256) as source:
                    fd = os.open(folder / ref.sha256, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as copy:
                        for chunk in iter(lambda: source.read(1024 * 1024), b""):
                            copy.write(chunk)
            except FileMissing:
                continue
            copied.add(ref.sha256)
    return len(copied)


def _private(path: Path) -> IO[str]:
    """A new text file only its owner may read (0600 from the start, never widened afterwards)."""
    return open(path, "x", encoding="utf-8", newline="",  # noqa: SIM115 - the caller closes it
                opener=lambda name, flags: os.open(name, flags, 0o600))


def _events(recorders: Mapping[str, FastApplicationRecorder], key: Any) -> Iterator[dict[str, Any]]:
    """Every stored event as a bundle line; credential events redacted, attested with ``key`` (Ed25519) when
    their hash recomputes from their stored state, else marked unattested."""
    for application, recorder in sorted(recorders.items()):
        table = recorder.events_record_cls.__table__
        query = select(recorder._raw_originator_id, table.c.originator_version, table.c.topic, table.c.state,
                       table.c.hash, table.c.prev_hash).order_by(table.c.id)
        with engine_of(recorder.datastore).connect() as connection:
            for raw, version, topic, state, digest, prev in connection.execution_options(yield_per=10_000).execute(
                    query):
                originator_id = recorder._to_uuid(raw)
                content = (_redacted(key, application, originator_id, version, topic, bytes(state), digest, prev)
                           if offline_verifier.is_credential_event(application, topic)
                           else {"state_b64": base64.b64encode(bytes(state)).decode("ascii")})
                yield {"application": application, "originator_id": str(originator_id), "version": version,
                       "topic": topic, **content, "hash": bytes(digest).hex() if digest is not None else None,
                       "prev_hash": bytes(prev).hex() if prev is not None else None}


def _redacted(key: Any, application: str, originator_id: UUID, version: int, topic: str, state: bytes,
              digest: bytes | None, prev: bytes | None) -> dict[str, str]:
    """A credential event's content in the bundle: no state, and the server's attestation, signed only if the
    stored hash recomputes from the stored state (format 1), so a changed row is never vouched for."""
    if digest is None or prev is None or len(bytes(prev)) != 32 or event_hash(
            bytes(prev), originator_id, version, topic, state) != bytes(digest):
        return {"redacted": offline_verifier.REDACTED, "unattested": "hash-mismatch"}
    return {"redacted": offline_verifier.REDACTED, "attestation": offline_verifier.attest(
        key, application, originator_id, version, topic, bytes(digest), bytes(prev))}


def _line(stream: IO[str], record: dict[str, Any]) -> None:
    stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
