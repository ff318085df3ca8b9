"""``onething audit bundle OUT``: everything an auditor needs to check the record away from the server.

The directory gets the stored events of every event store (bytes as stored, base64), the audit log, the
signed checkpoints with the consistency proof from each to the next, the public key, and the verifier
itself (``infrastructure/offline_verifier.py``, standard library + ``cryptography``), so that
``python verifier.py OUT`` needs nothing else — no server, no database, no decryption key.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from infrastructure import offline_verifier
from infrastructure.audit_log import AuditLog, CheckpointRefused
from infrastructure.recorders import FastApplicationRecorder

README = """OneThing audit bundle
=====================

events.jsonl       every stored event: application, originator_id, version, topic, state_b64 (bytes as
                   stored), hash and prev_hash (hex)
log.jsonl          the audit log: position, application, originator_id, version, event_hash
checkpoints.jsonl  signed checkpoints (size, root, timestamp, key_id, signature) with the consistency
                   proof from the previous checkpoint
public_key.pem     the Ed25519 key the checkpoints are signed with
verifier.py        the verifier: needs Python 3.11+ and the `cryptography` package only

Check it:   python verifier.py .
Exit 0: every chain, the log and every checkpoint verify. Exit 1: each problem on its own line.
Compare public_key.pem's fingerprint with the one the operator published before trusting it.
"""


def write_bundle(out: str | Path, recorders: Mapping[str, FastApplicationRecorder], log: AuditLog,
                 progress: Callable[[int], None] = lambda _: None) -> dict[str, int]:
    """Write the bundle into ``out`` (created; must be empty if it exists); return what it holds."""
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
    target.mkdir(parents=True, exist_ok=True)
    counts = {"events": 0, "log": 0, "checkpoints": 0}
    with (target / "events.jsonl").open("w", encoding="utf-8") as events:
        for record in _events(recorders):
            _line(events, record)
            counts["events"] += 1
            if counts["events"] % 10_000 == 0:
                progress(counts["events"])
    with (target / "log.jsonl").open("w", encoding="utf-8") as out_log:
        for entry in entries:
            _line(out_log, {"position": entry.position, "application": entry.application,
                            "originator_id": entry.originator_id, "version": entry.version,
                            "event_hash": entry.event_hash.hex()})
        _line(out_log, {"note": f"events stored after log position {len(entries) - 1} were not yet logged"})
    counts["log"] = len(entries)
    tree = offline_verifier.MerkleTree([entry.leaf_hash for entry in entries])  # one tree for every proof
    with (target / "checkpoints.jsonl").open("w", encoding="utf-8") as out_checkpoints:
        previous = None
        for checkpoint in checkpoints:
            record = {**checkpoint, "log": "onething"}
            if previous is not None:  # none past the log's end (rows deleted): the verifier names that checkpoint
                proof = tree.consistency_proof(previous, checkpoint["size"]) if checkpoint["size"] <= tree.size else []
                record["consistency"] = [h.hex() for h in proof]
            _line(out_checkpoints, record)
            previous = checkpoint["size"]
            counts["checkpoints"] += 1
    (target / "public_key.pem").write_bytes(log.key.public_pem())
    shutil.copyfile(offline_verifier.__file__, target / "verifier.py")
    (target / "README.txt").write_text(README, encoding="utf-8")
    return counts


def _events(recorders: Mapping[str, FastApplicationRecorder]) -> Iterator[dict[str, Any]]:
    for application, recorder in sorted(recorders.items()):
        table = recorder.events_record_cls.__table__
        query = select(recorder._raw_originator_id, table.c.originator_version, table.c.topic, table.c.state,
                       table.c.hash, table.c.prev_hash).order_by(table.c.id)
        with recorder.datastore.engine.connect() as connection:  # type: ignore[union-attr]
            for raw, version, topic, state, digest, prev in connection.execution_options(yield_per=10_000).execute(
                    query):
                yield {"application": application, "originator_id": str(recorder._to_uuid(raw)), "version": version,
                       "topic": topic, "state_b64": base64.b64encode(bytes(state)).decode("ascii"),
                       "hash": bytes(digest).hex() if digest is not None else None,
                       "prev_hash": bytes(prev).hex() if prev is not None else None}


def _line(stream: IO[str], record: dict[str, Any]) -> None:
    stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
