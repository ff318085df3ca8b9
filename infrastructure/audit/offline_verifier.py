"""Tamper evidence for OneThing's event store, checkable offline: ``python verifier.py BUNDLE_DIR``.

This one file uses only the standard library and ``cryptography``. The server imports it to compute
Merkle roots, proofs and signatures, and writes the event hashes (format 1) with its own copy of that format
(``infrastructure/eventstore/chain.py``; a test proves the two agree); an audit bundle carries a verbatim
copy of this file so an auditor can check the bundle without the server. Exit status: 0 all checks pass,
1 problems found (one line each), 2 unusable input.

Formats (the contract; integers are unsigned big-endian, hashes SHA-256, hex in JSON):

1. Event hash, one chain per aggregate. For the event at ``version`` (1, 2, ...)::

       hash = SHA256(b"onething.event.v1\\n" + prev (32 bytes) + originator_id.bytes (16)
                     + version (8 bytes) + len(topic_utf8) (4 bytes) + topic_utf8 + len(state) (8 bytes) + state)

   ``prev`` is the hash of the previous version, ``GENESIS`` (32 zero bytes) for version 1. ``state`` is the
   stored (possibly encrypted or compressed) bytes, so no key is needed.
2. Log leaf, one global dense 0-based log over every application's events::

       leaf_data = application.encode() + b"\\n" + originator_id.bytes + version (8 bytes) + event_hash

3. Merkle tree of RFC 6962 section 2.1 (RFC 9162 section 2.1): ``leaf_hash = SHA256(0x00 + leaf_data)``,
   ``node_hash = SHA256(0x01 + left + right)``, empty tree ``SHA256(b"")``; inclusion and consistency proofs
   are those of RFC 6962 sections 2.1.1 and 2.1.2, verified as in RFC 9162 sections 2.1.3.2 and 2.1.4.2.
4. Checkpoint: ``{"log": "onething", "size": int, "root": hex, "timestamp": ISO-8601, "key_id": hex}`` plus
   ``"signature"``: hex Ed25519 signature of the canonical JSON of exactly those five keys
   (``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, UTF-8). ``key_id`` is the first
   16 hex digits of SHA256(raw 32-byte public key).
5. Bundle directory:

   - ``events.jsonl``: one object per stored event, any order: ``{"application", "originator_id", "version",
     "topic", "state_b64", "hash", "prev_hash"}``. An event that holds a credential (``CREDENTIAL_EVENTS``: a
     password hash, an API token's hash) is shipped redacted: ``"redacted": "credentials"`` and no
     ``state_b64``, and ``"attestation"``: the server's signature (format 6) over its application, id, version,
     topic, hash and prev_hash, made after recomputing that hash from the stored state. Its hash cannot be
     recomputed here; its links, version and log entry are checked like any other's, only those
     applications' credential topics may be redacted (the application is bound to the signed log, so a case
     event cannot pass as redacted), and its attestation must verify with the bundle's key (so no other
     event of the store can pass as redacted under a credential topic). A redacted event whose stored hash
     did not recompute on the server is shipped without an attestation and ``"unattested": "hash-mismatch"``:
     it fails, as does one with no attestation at all.
   - ``log.jsonl``: ``{"position", "application", "originator_id", "version", "event_hash"}`` in position order,
     positions 0..n-1. A last line ``{"note": "... not yet logged ..."}`` declares that events stored after the
     last log position were not yet appended: such events are then warnings, not problems.
   - ``checkpoints.jsonl``: signed checkpoints by increasing size; each after the first carries
     ``"consistency": [hex, ...]``, the consistency proof from the checkpoint before it.
   - ``public_key.pem``: the Ed25519 public key (SubjectPublicKeyInfo PEM) that signs checkpoints.

   Checked: every event hash recomputes from its fields (except redacted events'); per aggregate, versions
   are 1..n without holes and each ``prev_hash`` is the hash of the version before (GENESIS for version 1);
   log positions are dense; every log entry names a stored event with the same hash, and every event is in
   the log; an aggregate's logged versions are 1..k in increasing log position (only a tail k+1.. may be "not
   yet logged"); every checkpoint's signature verifies with the public key, its root is the Merkle root of
   the log's first ``size`` leaves, and its consistency proof from the previous checkpoint verifies;
   every redacted event is a credential event with an attestation that verifies; ``FIRST_EVENTS`` (an
   aggregate's creation: ``User.Registered``, ``ApiToken.Issued``) are at version 1 only.
6. Attestation of a redacted event: hex Ed25519 signature, with the checkpoint key, of the canonical JSON
   (as in 4) of exactly ``{"attests": "onething.redacted-event.v1", "application", "originator_id"`` (the
   UUID's lower-case hyphenated form), ``"version", "topic", "hash", "prev_hash"`` (lower-case hex)``}``.
   The server signs it only for a stored event whose hash recomputes (format 1) from its stored state.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = bytes(32)
EMPTY_ROOT = hashlib.sha256(b"").digest()
LOG_NAME = "onething"
EVENT_DOMAIN = b"onething.event.v1\n"
CHECKPOINT_FIELDS = ("log", "size", "root", "timestamp", "key_id")
# Events whose state holds a credential, by application: bundles carry them redacted (format 5). Credentials
# never leave the server, even hashed: an Argon2 hash can be attacked offline, a token's hash opens its token.
# Topics as stored: events written before the house moved (release 0.1, issue 12) keep their old topics.
CREDENTIAL_EVENTS: dict[str, frozenset[str]] = {
    "Users": frozenset({"domain.users.aggregate:User.Registered",        # password_hash
                        "domain.users.aggregate:User.PasswordChanged",   # password_hash
                        "domain.users.tokens:ApiToken.Issued",           # token_hash
                        "domain.users.aggregate:User.TotpEnrolled",      # secret (two-step sign-in)
                        "domain.users:User.Registered", "domain.users:User.PasswordChanged",  # as stored before
                        "domain.tokens:ApiToken.Issued"}),
}
REDACTED = "credentials"
ATTESTS = "onething.redacted-event.v1"
# An aggregate's creation event, so its version is always 1 (checked for redacted and shipped events alike).
FIRST_EVENTS: dict[str, frozenset[str]] = {
    "Users": frozenset({"domain.users.aggregate:User.Registered", "domain.users.tokens:ApiToken.Issued",
                        "domain.users:User.Registered", "domain.tokens:ApiToken.Issued"}),
}
UNATTESTED = {  # why the server shipped a redacted event without an attestation ("unattested": code)
    "hash-mismatch": "its stored hash does not recompute from its stored contents (the store was changed)",
}


def is_credential_event(application: str, topic: str) -> bool:
    """Whether a stored event holds a credential, so a bundle ships it without its state."""
    return topic in CREDENTIAL_EVENTS.get(application, ())


def event_hash(prev: bytes, originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one stored event, chained to ``prev`` (format 1)."""
    if len(prev) != 32:
        raise ValueError("prev must be 32 bytes")
    topic_utf8 = topic.encode()
    return hashlib.sha256(
        EVENT_DOMAIN + prev + originator_id.bytes + version.to_bytes(8, "big")
        + len(topic_utf8).to_bytes(4, "big") + topic_utf8 + len(state).to_bytes(8, "big") + state
    ).digest()


def leaf_data(application: str, originator_id: uuid.UUID, version: int, event_hash: bytes) -> bytes:
    """The data of the log leaf that records one event (format 2)."""
    return application.encode() + b"\n" + originator_id.bytes + version.to_bytes(8, "big") + event_hash


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def prefix_roots(leaf_hashes: Iterable[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """Merkle roots of the first ``size`` leaves for each wanted size, in one pass (O(n) hashes).

    Keeps the perfect subtrees of the binary decomposition of the count, folded right to left for a root:
    exactly RFC 6962's tree, split at the largest power of two smaller than n. Sizes past the end are left out.
    """
    wanted = set(sizes)
    roots = {0: EMPTY_ROOT} if 0 in wanted else {}
    last = max(wanted, default=0)
    stack: list[bytes] = []
    sha256 = hashlib.sha256  # node_hash inlined: one call per leaf and per node adds up over a whole log
    for count, h in enumerate(leaf_hashes, 1):
        if count > last:
            break
        c = count
        while not c & 1:
            h = sha256(b"\x01" + stack.pop() + h).digest()
            c >>= 1
        stack.append(h)
        if count in wanted:
            root = stack[-1]
            for left in reversed(stack[:-1]):
                root = node_hash(left, root)
            roots[count] = root
    return roots


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of the given leaf hashes (SHA256(b"") when empty)."""
    return prefix_roots(leaf_hashes, [len(leaf_hashes)])[len(leaf_hashes)]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 audit path PATH(index, D[n]) of leaf ``index``, from the leaf's sibling upwards."""
    return MerkleTree(leaf_hashes).inclusion_proof(index)


class MerkleTree:
    """The RFC 6962 tree over leaf hashes with the hash of every complete subtree kept (fewer than n more
    hashes, made once): then the root of any prefix and each inclusion or consistency proof cost O(log² n),
    so many proofs over one log cost one pass over it, not one pass each."""

    def __init__(self, leaf_hashes: Sequence[bytes]):
        level = list(leaf_hashes)
        self.size, self.levels = len(level), [level]  # levels[h][j]: the subtree of leaves j·2^h .. (j+1)·2^h - 1
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)

    def _mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range of the RFC's recursion (``start`` a multiple of a power of two at
        least ``end - start``): its complete subtrees, largest first, folded from the right."""
        if start == end:
            return EMPTY_ROOT
        parts = []
        while start < end:
            height = (end - start).bit_length() - 1
            parts.append(self.levels[height][start >> height])
            start += 1 << height
        root = parts[-1]
        for left in reversed(parts[:-1]):
            root = node_hash(left, root)
        return root

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} outside a tree of {self.size} leaves")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The Merkle root of the first ``size`` leaves (all unless told)."""
        return self._mth(0, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]), from the leaf's sibling upwards."""
        size = self._size(size)
        if not 0 <= index < size:
            raise ValueError(f"index {index} outside a tree of {size} leaves")
        path, start, end = [], 0, size
        while end - start > 1:  # descend towards the leaf; each step's sibling is a level further from it
            k = _split(end - start)
            if index < start + k:
                path.append(self._mth(start + k, end))
                end = start + k
            else:
                path.append(self._mth(start, start + k))
                start += k
        return path[::-1]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[size]); [] when old_size is 0 or size."""
        size = self._size(size)
        if not 0 <= old_size <= size:
            raise ValueError(f"old size {old_size} outside 0..{size}")
        if old_size in (0, size):
            return []
        proof, start, end, m, complete = [], 0, size, old_size, True
        while m != end - start:  # SUBPROOF(m, D[start:end], complete)
            k = _split(end - start)
            if m <= k:
                proof.append(self._mth(start + k, end))
                end = start + k
            else:
                proof.append(self._mth(start, start + k))
                start, m, complete = start + k, m - k, False
        if not complete:
            proof.append(self._mth(start, end))
        return proof[::-1]


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows leaf ``index`` with ``leaf_hash`` in the tree of ``size`` leaves with ``root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PROOF(old_size, D[n]) that the first ``old_size`` leaves are a prefix; [] when 0 or n."""
    n = len(leaf_hashes)
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} outside 0..{n}")
    return MerkleTree(leaf_hashes).consistency_proof(old_size)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree (old_size, old_root) is a prefix of the tree (new_size, new_root)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old tree is a complete subtree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA256 of the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    """Make a signing key and write it as a PKCS8 PEM file of mode 0600; refuse to overwrite a file."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # FileExistsError if present
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return private_key


def load_private_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    """The Ed25519 private key in an unencrypted PEM file."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in PEM (SubjectPublicKeyInfo) bytes."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def public_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    """The PEM (SubjectPublicKeyInfo) of the private key's public half, as written to public_key.pem."""
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def checkpoint_message(cp: dict) -> bytes:
    """The signed bytes of a checkpoint: canonical JSON of exactly its five fields."""
    fields = {name: cp[name] for name in CHECKPOINT_FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_checkpoint(private_key: Ed25519PrivateKey, size: int, root: bytes | str, timestamp: str | datetime) -> dict:
    """A signed checkpoint of the log at ``size`` leaves with Merkle ``root`` (bytes or hex)."""
    cp = {
        "log": LOG_NAME, "size": size, "root": root.hex() if isinstance(root, bytes) else root,
        "timestamp": timestamp.isoformat() if isinstance(timestamp, datetime) else timestamp,
        "key_id": key_id(private_key.public_key()),
    }
    cp["signature"] = private_key.sign(checkpoint_message(cp)).hex()
    return cp


def verify_checkpoint(public_key: Ed25519PublicKey, cp: dict) -> bool:
    """Whether the checkpoint names this key and its signature verifies (False on any malformed field)."""
    try:
        if cp["log"] != LOG_NAME or cp["key_id"] != key_id(public_key):
            return False
        public_key.verify(bytes.fromhex(cp["signature"]), checkpoint_message(cp))
        return True
    except (InvalidSignature, KeyError, TypeError, ValueError, AttributeError):
        return False


def attestation_message(application: str, originator_id: uuid.UUID | str, version: int, topic: str,
                        event_hash: bytes, prev_hash: bytes) -> bytes:
    """The signed bytes of a redacted event's attestation (format 6)."""
    fields = {"attests": ATTESTS, "application": application, "originator_id": str(uuid.UUID(str(originator_id))),
              "version": version, "topic": topic, "hash": event_hash.hex(), "prev_hash": prev_hash.hex()}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def attest(private_key: Ed25519PrivateKey, application: str, originator_id: uuid.UUID | str, version: int,
           topic: str, event_hash: bytes, prev_hash: bytes) -> str:
    """The hex attestation of a redacted event; the caller has recomputed ``event_hash`` from its state."""
    return private_key.sign(attestation_message(application, originator_id, version, topic, event_hash,
                                                prev_hash)).hex()


def verify_attestation(public_key: Ed25519PublicKey, signature: object, application: str,
                       originator_id: uuid.UUID, version: int, topic: str, event_hash: bytes,
                       prev_hash: bytes) -> bool:
    """Whether ``signature`` (hex) attests this redacted event with this key (False on any malformed field)."""
    if not isinstance(signature, str):
        return False
    try:
        public_key.verify(bytes.fromhex(signature),
                          attestation_message(application, originator_id, version, topic, event_hash, prev_hash))
        return True
    except (InvalidSignature, TypeError, ValueError):
        return False


class BundleError(Exception):
    """The bundle cannot be read: a file is missing or a line is malformed."""


@dataclass
class VerificationReport:
    """What verify_bundle found: problems fail the bundle, warnings do not."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: int = 0
    redacted: int = 0
    aggregates: int = 0
    log_entries: int = 0
    checkpoints: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """The (line number, object) of each non-blank line of a JSON-lines file."""
    if not path.is_file():
        raise BundleError(f"{path.name} is missing")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"{path.name} unreadable: {e}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict):
            raise BundleError(f"{path.name} line {number}: not a JSON object")
        rows.append((number, obj))
    return rows


def _hash32(value: str) -> bytes:
    if len(value) != 64:
        raise ValueError("not 32 hex bytes")
    return bytes.fromhex(value)


_CONVERT: dict[str, Callable[[str], Any]] = {
    "originator_id": uuid.UUID, "state_b64": lambda v: base64.b64decode(v, validate=True),
    "hash": _hash32, "prev_hash": _hash32, "event_hash": _hash32, "root": _hash32}


def _fields(row: tuple[int, dict], file: str, *names: str) -> list:
    """The named fields of a line, checked and converted; BundleError names the file, line and field."""
    values = []
    for name in names:
        value = row[1].get(name)
        try:
            if name in ("version", "position", "size"):
                if type(value) is not int or not 0 <= value < 2**63:
                    raise ValueError("not a non-negative integer")
                values.append(value)
            elif isinstance(value, str):
                values.append(_CONVERT.get(name, str)(value))
            else:
                raise ValueError("missing or not a string")
        except ValueError as e:
            raise BundleError(f"{file} line {row[0]}: bad {name!r} ({e})") from None
    return values


def _name(application: str, originator_id: uuid.UUID, version: int) -> str:
    return f"{application} {originator_id} version {version}"


def _check_events(rows: list[tuple[int, dict]], public_key: Ed25519PublicKey, report: VerificationReport) -> dict:
    """Each event's hash (a redacted one's attestation), then each aggregate's chain; returns
    {(app, id, version): (hash, prev_hash)}."""
    events: dict[tuple[str, uuid.UUID, int], tuple[bytes, bytes]] = {}
    for row in rows:
        app, oid, version, topic = _fields(row, "events.jsonl", "application", "originator_id", "version", "topic")
        redacted = "state_b64" not in row[1] and row[1].get("redacted") == REDACTED
        state = None if redacted else _fields(row, "events.jsonl", "state_b64")[0]
        missing = [name for name in ("hash", "prev_hash") if row[1].get(name) is None]  # NULL in the store
        if missing:
            report.problems.append(f"{_name(app, oid, version)}: has no {' and no '.join(missing)}")
        stored, prev = (b"" if name in missing else _fields(row, "events.jsonl", name)[0]
                        for name in ("hash", "prev_hash"))
        if redacted:
            report.redacted += 1
            if not is_credential_event(app, topic):
                report.problems.append(f"{_name(app, oid, version)}: redacted, but it is not a credential event")
            elif "attestation" not in row[1]:
                why = UNATTESTED.get(str(row[1].get("unattested")), "the bundle carries none")
                report.problems.append(f"{_name(app, oid, version)}: redacted without the server's attestation: {why}")
            elif missing or not verify_attestation(public_key, row[1]["attestation"], app, oid, version, topic,
                                                   stored, prev):
                report.problems.append(f"{_name(app, oid, version)}: redacted, and its attestation does not verify "
                                       "with public_key.pem (its topic, hash, prev_hash or version was changed)")
        elif not missing and state is not None and event_hash(prev, oid, version, topic, state) != stored:
            report.problems.append(f"{_name(app, oid, version)}: hash does not match the event's contents")
        if topic in FIRST_EVENTS.get(app, ()) and version != 1:
            report.problems.append(f"{_name(app, oid, version)}: {topic} can only be an aggregate's version 1")
        if (app, oid, version) in events or version < 1:
            report.problems.append(f"{_name(app, oid, version)}: stored twice or not a version (1, 2, ...)")
        else:
            events[(app, oid, version)] = (stored, prev)
    chains: dict[tuple[str, uuid.UUID], int] = {}
    for app, oid, version in events:
        chains[(app, oid)] = max(version, chains.get((app, oid), 0))
    for (app, oid), last in sorted(chains.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        for version in range(1, last + 1):
            key, before = (app, oid, version), (app, oid, version - 1)
            if key not in events:
                report.problems.append(f"{_name(*key)}: missing from the chain")
            elif not events[key][1] or (before in events and not events[before][0]):
                continue  # reported above: no hash to compare
            elif version == 1 and events[key][1] != GENESIS:
                report.problems.append(f"{_name(*key)}: prev_hash is not GENESIS")
            elif before in events and events[key][1] != events[before][0]:
                report.problems.append(f"{_name(*key)}: prev_hash is not the hash of version {version - 1}")
    report.events, report.aggregates = len(events), len(chains)
    return events


def _check_log(rows: list[tuple[int, dict]], events: dict, report: VerificationReport) -> list[bytes]:
    """Dense positions, each entry a stored event with its hash, every event logged; returns the leaf hashes."""
    note = bool(rows) and "not yet logged" in str(rows[-1][1].get("note", ""))
    leaves: list[bytes] = []
    logged: dict[tuple[str, uuid.UUID, int], int] = {}
    for expected, row in enumerate(rows[:-1] if note else rows):
        position, app, oid, version, logged_hash = _fields(
            row, "log.jsonl", "position", "application", "originator_id", "version", "event_hash")
        leaves.append(leaf_hash(leaf_data(app, oid, version, logged_hash)))
        where, key = f"log position {position} ({_name(app, oid, version)})", (app, oid, version)
        if position != expected:
            report.problems.append(f"{where}: expected position {expected}, positions must be dense from 0")
        if key in logged:
            report.problems.append(f"{where}: already logged at position {logged[key]}")
            continue
        logged[key] = position
        if key not in events:
            report.problems.append(f"{where}: event is not among the stored events")
        elif events[key][0] != logged_hash:
            report.problems.append(f"{where}: logged hash differs from the stored event's hash")
        if version > 1 and logged.get((app, oid, version - 1), position) >= position:
            report.problems.append(f"{where}: version {version - 1} is not logged before it")
    for app, oid, version in sorted(set(events) - set(logged), key=lambda k: (k[0], str(k[1]), k[2])):
        if note and (app, oid, version + 1) not in logged:
            report.warnings.append(f"{_name(app, oid, version)}: not yet logged")
        else:
            report.problems.append(f"{_name(app, oid, version)}: missing from the log")
    report.log_entries = len(leaves)
    return leaves


def _check_checkpoints(rows: list[tuple[int, dict]], leaves: list[bytes], public_key: Ed25519PublicKey,
                       report: VerificationReport) -> None:
    """Signatures, roots against the log's prefixes, consistency with the checkpoint before."""
    sizes = [_fields(row, "checkpoints.jsonl", "size", "root") for row in rows]
    roots, previous = prefix_roots(leaves, [size for size, _ in sizes]), None
    for row, (size, root) in zip(rows, sizes, strict=True):
        cp, where = row[1], f"checkpoint of size {size}"
        try:
            proof = [_hash32(h) for h in cp.get("consistency", [])]
        except (TypeError, ValueError):
            raise BundleError(f"checkpoints.jsonl line {row[0]}: bad 'consistency' proof") from None
        if not verify_checkpoint(public_key, cp):
            report.problems.append(f"{where}: signature does not verify with public_key.pem")
        if size not in roots:
            report.problems.append(f"{where}: larger than the log ({len(leaves)} entries)")
        elif roots[size] != root:
            report.problems.append(f"{where}: root is not the Merkle root of log positions 0..{size - 1}")
        if previous:
            old_size, old_root, old_time = previous
            if "consistency" not in cp and size != old_size:
                report.problems.append(f"{where}: no consistency proof from the checkpoint of size {old_size}")
            elif not verify_consistency(old_size, size, old_root, root, proof):
                report.problems.append(f"{where}: not consistent with the checkpoint of size {old_size} before it")
            try:
                if datetime.fromisoformat(cp["timestamp"]) < datetime.fromisoformat(old_time):
                    report.warnings.append(f"{where}: timestamp earlier than the checkpoint before it")
            except (KeyError, TypeError, ValueError):
                report.warnings.append(f"{where}: timestamp is not comparable ISO-8601")
        previous = (size, root, cp.get("timestamp", ""))  # missing: not comparable, as "" is not ISO-8601
    if not previous:
        report.warnings.append("no checkpoints: the log is not anchored by any signature")
    elif previous[0] < len(leaves):
        report.warnings.append(f"log positions {previous[0]}..{len(leaves) - 1} are not yet in a signed checkpoint")
    report.checkpoints = len(rows)


def verify_bundle(path: str | os.PathLike) -> VerificationReport:
    """Check an audit bundle directory (format 5); raises BundleError when it cannot be read."""
    bundle, report = Path(path), VerificationReport()
    if not bundle.is_dir():
        raise BundleError(f"{bundle} is not a directory")
    try:
        public_key = load_public_key((bundle / "public_key.pem").read_bytes())
    except (OSError, ValueError) as e:
        raise BundleError(f"public_key.pem unusable: {e}") from None
    events = _check_events(_read_jsonl(bundle / "events.jsonl"), public_key, report)
    leaves = _check_log(_read_jsonl(bundle / "log.jsonl"), events, report)
    _check_checkpoints(_read_jsonl(bundle / "checkpoints.jsonl"), leaves, public_key, report)
    rows = _read_jsonl(bundle / "events.jsonl")
    named = _files_named(rows)
    if (bundle / "files.jsonl").exists():
        _check_files(bundle, events, _states(rows), named, report)
    elif named:
        report.warnings.append(f"{len(named)} events name stored files, but the bundle was written without "
                               "them (onething audit bundle --files): the files were not checked")
    return report


def _files_named(rows: list[tuple[int, dict]]) -> dict:
    """{(app, id, version): sha256} of every readable event that names a stored file: a material version
    submitted as a file (not paper). Encrypted or redacted states cannot be read here and are not counted."""
    named = {}
    for _, row in rows:
        if not str(row.get("topic", "")).endswith("MaterialSubmitted"):
            continue
        try:
            state = json.loads(base64.b64decode(row["state_b64"]))
            key = (row["application"], uuid.UUID(row["originator_id"]), int(row["version"]))
        except (KeyError, ValueError, TypeError):
            continue
        if isinstance(state, dict) and state.get("source", "paper") != "paper" and isinstance(state.get("sha256"), str):
            named[key] = state["sha256"]
    return named


def _states(rows: list[tuple[int, dict]]) -> dict:
    """{(app, id, version): the event's stored state} of every event that has its state in the bundle."""
    states = {}
    for _, row in rows:
        try:
            key = (row["application"], uuid.UUID(row["originator_id"]), int(row["version"]))
            states[key] = base64.b64decode(row["state_b64"])
        except (KeyError, ValueError, TypeError):
            continue  # redacted or malformed: _check_events named it
    return states


def _check_files(bundle: Path, events: dict, states: dict, named: dict, report: VerificationReport) -> None:
    """Each stored file of files.jsonl: the event that names it is in the bundle (its chain checked above) and
    names the same digest; the file's bytes hash to that digest. And files.jsonl is complete: every readable
    event that names a stored file is listed (a file swapped with its line dropped is still found)."""
    hashed: dict[str, str | None] = {}
    listed = set()
    for row in _read_jsonl(bundle / "files.jsonl"):
        listed.add((row[1].get("application"), str(row[1].get("originator_id")), row[1].get("version")))
        sha, app, oid, version = _fields(row, "files.jsonl", "sha256", "application", "originator_id", "version")
        key, where = (app, oid, version), f"file {sha} ({row[1].get('case', oid)}, " \
            f"material {row[1].get('material', '?')} version {row[1].get('material_version', '?')})"
        if key not in events:
            report.problems.append(f"{where}: the event naming it is not in the bundle")
        else:
            try:
                recorded = json.loads(states[key]).get("sha256") if key in states else None
            except (ValueError, UnicodeDecodeError, AttributeError):
                recorded = None
            if recorded is None:
                report.warnings.append(f"{where}: its event's contents are encrypted or redacted; "
                                       "the digest is checked against the file only")
            elif recorded != sha:
                report.problems.append(f"{where}: its event names another file ({recorded})")
        if sha not in hashed:
            path = bundle / "files" / sha
            hashed[sha] = _file_digest(path) if path.is_file() else None
        if hashed[sha] is None:
            report.problems.append(f"{where}: missing from files/")
        elif hashed[sha] != sha:
            report.problems.append(f"{where}: its bytes changed (they hash to {hashed[sha]})")
    for (app, oid, version), sha in named.items():
        if (app, str(oid), version) not in listed:
            report.problems.append(f"file {sha}: named by {_name(app, oid, version)}, but not in files.jsonl")
    report.files = len(hashed)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_case_proof(public_key: Ed25519PublicKey, proof: dict) -> list[str]:
    """Problems with a case's inclusion proof (``GET /api/v1/audit/proof``): the checkpoint's signature, and
    each event's leaf (recomputed from application, case id, version and event hash) and path to its root.
    An empty list: every listed event is in the signed log; nothing of other cases is revealed but hashes."""
    checkpoint, problems = proof.get("checkpoint") or {}, []
    if not verify_checkpoint(public_key, checkpoint):
        return ["the checkpoint's signature does not verify"]
    try:
        root, size = bytes.fromhex(checkpoint["root"]), int(checkpoint["size"])
        case, application = uuid.UUID(str(proof["case"])), str(proof["application"])
        events = list(proof["events"])
    except (KeyError, TypeError, ValueError) as e:
        return [f"the proof is malformed: {e}"]
    for event in events:
        try:
            version, position = int(event["version"]), int(event["position"])
            leaf = leaf_hash(leaf_data(application, case, version, bytes.fromhex(event["event_hash"])))
            path = [bytes.fromhex(h) for h in event["path"]]
        except (KeyError, TypeError, ValueError) as e:
            problems.append(f"an event of the proof is malformed: {e}")
            continue
        if not verify_inclusion(leaf, position, size, path, root):
            problems.append(f"{_name(application, case, version)}: not in the checkpoint of size {size}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: verify a bundle (or, with ``--proof``, a case's inclusion proof), print one line per
    problem; exit 0 ok, 1 problems, 2 unusable input."""
    parser = argparse.ArgumentParser(description="Verify a OneThing audit bundle, or a case's proof, offline.")
    parser.add_argument("bundle", help="the audit bundle directory (with --proof: the public key PEM file)")
    parser.add_argument("--proof", help="a case's inclusion proof (JSON) to check against the public key")
    args = parser.parse_args(argv)
    if args.proof:
        try:
            problems = verify_case_proof(load_public_key(Path(args.bundle).read_bytes()),
                                         json.loads(Path(args.proof).read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        for line in problems:
            print(f"PROBLEM: {line}")
        print("FAILED" if problems else "OK: every event of the proof is in the signed checkpoint")
        return 1 if problems else 0
    try:
        report = verify_bundle(args.bundle)
    except BundleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for line in report.problems:
        print(f"PROBLEM: {line}")
    for line in report.warnings:
        print(f"warning: {line}")
    counts = (f"{report.events} events in {report.aggregates} aggregates, "
              f"{report.log_entries} log entries, {report.checkpoints} checkpoints")
    if report.files:
        counts += f", {report.files} stored files"
    if report.redacted:
        counts += (f"; {report.redacted} events redacted (credentials): their links, versions, log entries and "
                   "the server's attestations verify, their contents cannot be recomputed here")
    print(f"OK: {counts}" if report.ok else f"FAILED: {len(report.problems)} problems; {counts}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
