"""The offline verifier: hashes, RFC 6962 Merkle proofs, signed checkpoints and whole audit bundles.

These are the checks an auditor relies on without the server: each test fails if a tampering goes unseen,
or if the formats drift from the documented contract (and from RFC 6962, so other tools agree).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure.audit import offline_verifier as ov

# ---------------------------------------------------------------- naive RFC 6962 definitions


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_root(d: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 6962 section 2.1 writes it (over leaf hashes)."""
    if not d:
        return sha(b"")
    if len(d) == 1:
        return d[0]
    k = split(len(d))
    return sha(b"\x01" + naive_root(d[:k]) + naive_root(d[k:]))


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return naive_path(m, d[:k]) + [naive_root(d[k:])]
    return naive_path(m - k, d[k:]) + [naive_root(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [naive_root(d)]
    k = split(len(d))
    if m <= k:
        return naive_subproof(m, d[:k], b) + [naive_root(d[k:])]
    return naive_subproof(m - k, d[k:], False) + [naive_root(d[:k])]


def leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [ov.leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


def flip(h: bytes, at: int = 0) -> bytes:
    return h[:at] + bytes([h[at] ^ 1]) + h[at + 1:]


# Certificate Transparency's reference data (RFC 6962 test vectors).
CT_DATA = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]


def hexes(*hs: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hs]


CT_INCLUSION = {  # (index, size) -> audit path
    (0, 8): hexes("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    (5, 8): hexes("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
}
CT_CONSISTENCY = {  # (old size, new size) -> proof
    (2, 5): hexes("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    (2, 8): hexes("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    (6, 8): hexes("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
}


# ---------------------------------------------------------------- hashes


def test_event_hash_is_the_documented_byte_layout():
    oid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    prev, topic, state = sha(b"prev"), "domain.case.aggregate:Case.Submitted", b"\x00state\xff"
    expected = sha(b"onething.event.v1\n" + prev + oid.bytes + struct.pack(">Q", 7)
                   + struct.pack(">I", len(topic.encode())) + topic.encode() + struct.pack(">Q", len(state)) + state)
    assert ov.event_hash(prev, oid, 7, topic, state) == expected
    assert ov.GENESIS == bytes(32)


def test_every_event_field_is_covered_by_its_hash():
    oid = uuid.uuid4()
    base = ov.event_hash(ov.GENESIS, oid, 1, "t", b"s")
    assert ov.event_hash(flip(ov.GENESIS), oid, 1, "t", b"s") != base
    assert ov.event_hash(ov.GENESIS, uuid.uuid4(), 1, "t", b"s") != base
    assert ov.event_hash(ov.GENESIS, oid, 2, "t", b"s") != base
    assert ov.event_hash(ov.GENESIS, oid, 1, "u", b"s") != base
    assert ov.event_hash(ov.GENESIS, oid, 1, "t", b"S") != base
    # lengths are framed: moving a byte from topic to state changes the hash
    assert ov.event_hash(ov.GENESIS, oid, 1, "ab", b"c") != ov.event_hash(ov.GENESIS, oid, 1, "a", b"bc")
    with pytest.raises(ValueError):
        ov.event_hash(b"short", oid, 1, "t", b"s")


def test_leaf_data_is_the_documented_byte_layout():
    oid, h = uuid.uuid4(), sha(b"event")
    assert ov.leaf_data("cases", oid, 3, h) == b"cases\n" + oid.bytes + struct.pack(">Q", 3) + h
    assert ov.leaf_hash(b"x") == sha(b"\x00x")
    assert ov.node_hash(b"l", b"r") == sha(b"\x01lr")


# ---------------------------------------------------------------- Merkle roots


def test_merkle_root_matches_the_recursive_rfc_definition_for_sizes_0_to_70():
    hs = leaves(70)
    for n in range(71):
        assert ov.merkle_root(hs[:n]) == naive_root(hs[:n]), n


def test_merkle_root_matches_the_certificate_transparency_vectors():
    hs = [ov.leaf_hash(d) for d in CT_DATA]
    assert ov.merkle_root(hs).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    for n in range(9):
        assert ov.merkle_root(hs[:n]) == CT_ROOTS[n], n
    assert ov.EMPTY_ROOT == CT_ROOTS[0]


def test_prefix_roots_gives_every_requested_prefix_in_one_pass():
    hs = leaves(40)
    sizes = [0, 1, 5, 16, 17, 39, 40, 41]
    roots = ov.prefix_roots(hs, sizes)
    assert roots == {n: naive_root(hs[:n]) for n in sizes if n <= 40}


def test_merkle_root_of_a_large_log_is_fast_and_correct():
    hs = leaves(100_003)
    # compare with the RFC split done by hand at the top two levels
    k = split(len(hs))
    assert ov.merkle_root(hs) == ov.node_hash(ov.merkle_root(hs[:k]), ov.merkle_root(hs[k:]))


# ---------------------------------------------------------------- inclusion proofs


def test_inclusion_proofs_match_the_ct_vectors():
    hs = [ov.leaf_hash(d) for d in CT_DATA]
    for (index, size), path in CT_INCLUSION.items():
        assert ov.inclusion_proof(index, hs[:size]) == path
        assert ov.verify_inclusion(hs[index], index, size, path, CT_ROOTS[size])


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33])
def test_every_inclusion_proof_verifies_and_forgeries_are_refused(size):
    hs = leaves(size)
    root = ov.merkle_root(hs)
    other_root = ov.merkle_root(leaves(size, b"other"))
    for i in range(size):
        proof = ov.inclusion_proof(i, hs)
        assert proof == naive_path(i, hs)
        assert ov.verify_inclusion(hs[i], i, size, proof, root)
        assert not ov.verify_inclusion(flip(hs[i]), i, size, proof, root)  # another leaf
        assert not ov.verify_inclusion(hs[i], i, size, proof, other_root)
        assert not ov.verify_inclusion(hs[i], size, size, proof, root)  # index out of range
        for j, _ in enumerate(proof):
            forged = proof[:j] + [flip(proof[j], 31)] + proof[j + 1:]
            assert not ov.verify_inclusion(hs[i], i, size, forged, root)
        for wrong in {i - 1, i + 1, i ^ 2} - {i}:
            if 0 <= wrong < size and hs[wrong] != hs[i]:
                assert not ov.verify_inclusion(hs[i], wrong, size, proof, root)
        for wrong_size in (size - 1, size + 1, size * 2):
            # a size whose path has the same shape gives the same root (RFC 6962 binds the size through the
            # signed checkpoint, not the proof); every size with another path length must be refused
            if wrong_size > i and len(naive_path(i, hs[:1] * wrong_size)) != len(proof):
                assert not ov.verify_inclusion(hs[i], i, wrong_size, proof, root)
        if proof:
            assert not ov.verify_inclusion(hs[i], i, size, proof[:-1], root)
        assert not ov.verify_inclusion(hs[i], i, size, proof + [sha(b"extra")], root)


def test_a_proof_from_another_tree_is_refused():
    hs, others = leaves(13), leaves(13, b"x")
    others[6] = hs[6]  # the same leaf at the same place in a different tree
    proof = ov.inclusion_proof(6, others)
    assert ov.verify_inclusion(hs[6], 6, 13, proof, ov.merkle_root(others))
    assert not ov.verify_inclusion(hs[6], 6, 13, proof, ov.merkle_root(hs))


def test_inclusion_proof_refuses_an_index_outside_the_tree():
    with pytest.raises(ValueError):
        ov.inclusion_proof(3, leaves(3))


# ---------------------------------------------------------------- consistency proofs


def test_consistency_proofs_match_the_ct_vectors():
    hs = [ov.leaf_hash(d) for d in CT_DATA]
    for (old, new), proof in CT_CONSISTENCY.items():
        assert ov.consistency_proof(old, hs[:new]) == proof
        assert ov.verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], proof)


def test_every_consistency_proof_verifies_and_modified_ones_are_refused():
    hs = leaves(40)
    roots = [ov.merkle_root(hs[:n]) for n in range(41)]
    for new in range(41):
        for old in range(new + 1):
            proof = ov.consistency_proof(old, hs[:new])
            if 0 < old < new:
                assert proof == naive_subproof(old, hs[:new], True)
            assert ov.verify_consistency(old, new, roots[old], roots[new], proof), (old, new)
            assert not ov.verify_consistency(old, new, flip(roots[old]), roots[new], proof), (old, new)
            if old > 0:  # every tree extends the empty one
                assert not ov.verify_consistency(old, new, roots[old], flip(roots[new]), proof), (old, new)
            for j, _ in enumerate(proof):
                forged = proof[:j] + [flip(proof[j], 5)] + proof[j + 1:]
                assert not ov.verify_consistency(old, new, roots[old], roots[new], forged), (old, new, j)
            if proof:
                assert not ov.verify_consistency(old, new, roots[old], roots[new], proof[:-1]), (old, new)
            assert not ov.verify_consistency(old, new, roots[old], roots[new], proof + [sha(b"x")]), (old, new)
            if old < new:
                assert not ov.verify_consistency(new, old, roots[new], roots[old], proof)


def test_a_rewritten_history_is_not_consistent_with_the_old_root():
    hs = leaves(20)
    old_root = ov.merkle_root(hs[:9])
    rewritten = hs[:4] + [sha(b"rewritten")] + hs[5:]
    proof = ov.consistency_proof(9, rewritten)
    assert not ov.verify_consistency(9, 20, old_root, ov.merkle_root(rewritten), proof)


# ---------------------------------------------------------------- keys and checkpoints


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_checkpoint_message_is_canonical_json_of_exactly_five_fields(key):
    cp = {"timestamp": "2025-01-02T03:04:05+08:00", "size": 3, "root": "ab", "log": "onething",
          "key_id": "00ff", "signature": "zz", "consistency": ["cd"]}
    assert ov.checkpoint_message(cp) == (
        b'{"key_id":"00ff","log":"onething","root":"ab","size":3,"timestamp":"2025-01-02T03:04:05+08:00"}')


def test_signed_checkpoints_verify_and_modified_ones_are_refused(key):
    root = sha(b"root")
    cp = ov.sign_checkpoint(key, 12, root, "2025-03-01T10:00:00+08:00")
    raw = key.public_key().public_bytes_raw()
    assert cp["key_id"] == hashlib.sha256(raw).hexdigest()[:16]
    assert cp["root"] == root.hex() and cp["log"] == "onething" and len(bytes.fromhex(cp["signature"])) == 64
    assert ov.verify_checkpoint(key.public_key(), cp)
    assert ov.verify_checkpoint(key.public_key(), cp | {"consistency": []})  # not part of the message
    for changed in ({"size": 13}, {"root": flip(root).hex()}, {"timestamp": "2025-03-01T10:00:01+08:00"},
                    {"log": "other"}, {"signature": flip(bytes.fromhex(cp["signature"])).hex()},
                    {"signature": "not hex"}):
        assert not ov.verify_checkpoint(key.public_key(), cp | changed), changed
    assert not ov.verify_checkpoint(key.public_key(), {k: v for k, v in cp.items() if k != "signature"})
    other = Ed25519PrivateKey.generate()
    assert not ov.verify_checkpoint(other.public_key(), cp)
    forged = ov.sign_checkpoint(other, 12, root, cp["timestamp"]) | {"key_id": cp["key_id"]}
    assert not ov.verify_checkpoint(key.public_key(), forged)
    for field_name, value in (("log", "another-log"), ("key_id", "0123456789abcdef")):  # signed, but wrong
        signed = cp | {field_name: value}
        signed["signature"] = key.sign(ov.checkpoint_message(signed)).hex()
        assert not ov.verify_checkpoint(key.public_key(), signed), field_name


def test_generated_keys_are_private_files_that_are_never_overwritten(tmp_path):
    path = tmp_path / "signing.pem"
    private_key = ov.generate_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    loaded = ov.load_private_key(path)
    cp = ov.sign_checkpoint(loaded, 1, sha(b"r"), "2025-01-01T00:00:00Z")
    assert ov.verify_checkpoint(ov.load_public_key(ov.public_key_pem(private_key)), cp)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        ov.generate_key(path)
    assert path.read_bytes() == before


# ---------------------------------------------------------------- bundles


@dataclass
class Bundle:
    """An audit bundle in memory, written out by ``write``; tests tamper with the lists first."""

    key: Ed25519PrivateKey
    events: list[dict]
    log: list[dict] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)
    note: bool = False

    def event(self, app: str, oid: uuid.UUID, version: int) -> dict:
        return next(e for e in self.events
                    if (e["application"], e["originator_id"], e["version"]) == (app, str(oid), version))

    def write(self, path: Path) -> Path:
        path.mkdir(exist_ok=True)
        lines = lambda rows: "".join(json.dumps(r) + "\n" for r in rows)  # noqa: E731
        (path / "events.jsonl").write_text(lines(self.events))
        log = self.log + ([{"note": "events after the last log position are not yet logged"}] if self.note else [])
        (path / "log.jsonl").write_text(lines(log))
        (path / "checkpoints.jsonl").write_text(lines(self.checkpoints))
        (path / "public_key.pem").write_bytes(ov.public_key_pem(self.key))
        return path


AGGREGATES = [("cases", uuid.UUID(int=1)), ("cases", uuid.UUID(int=2)), ("accounts", uuid.UUID(int=3))]


def rechain(events: list[dict]) -> None:
    """Recompute every hash and prev_hash from the events' contents, as a thorough forger would."""
    last: dict[tuple[str, str], bytes] = {}
    for e in sorted(events, key=lambda e: (e["application"], e["originator_id"], e["version"])):
        prev = last.get((e["application"], e["originator_id"]), ov.GENESIS)
        h = ov.event_hash(prev, uuid.UUID(e["originator_id"]), e["version"], e["topic"],
                          base64.b64decode(e["state_b64"]))
        e["prev_hash"], e["hash"] = prev.hex(), h.hex()
        last[(e["application"], e["originator_id"])] = h


def relog(bundle: Bundle) -> None:
    for entry in bundle.log:
        entry["event_hash"] = bundle.event(entry["application"], uuid.UUID(entry["originator_id"]),
                                           entry["version"])["hash"]


def leaf_hashes(log: list[dict]) -> list[bytes]:
    return [ov.leaf_hash(ov.leaf_data(e["application"], uuid.UUID(e["originator_id"]), e["version"],
                                      bytes.fromhex(e["event_hash"]))) for e in log]


def checkpoint(bundle: Bundle, sizes: list[int], key: Ed25519PrivateKey | None = None) -> list[dict]:
    hs, cps = leaf_hashes(bundle.log), []
    for i, size in enumerate(sizes):
        cp = ov.sign_checkpoint(key or bundle.key, size, ov.merkle_root(hs[:size]), f"2025-03-0{i + 1}T10:00:00+08:00")
        if cps:
            cp["consistency"] = [h.hex() for h in ov.consistency_proof(cps[-1]["size"], hs[:size])]
        cps.append(cp)
    return cps


def make_bundle(key: Ed25519PrivateKey, versions: int = 4, logged: int | None = None) -> Bundle:
    """3 aggregates x ``versions`` events, logged round-robin by version, checkpointed at 5 and at the end."""
    events = [{"application": app, "originator_id": str(oid), "version": v, "topic": f"domain.{app}:Event{v}",
               "state_b64": base64.b64encode(json.dumps({"n": v, "of": str(oid)}).encode()).decode()}
              for v in range(1, versions + 1) for app, oid in AGGREGATES]
    rechain(events)
    bundle = Bundle(key, events)
    bundle.log = [{"position": p, "application": e["application"], "originator_id": e["originator_id"],
                   "version": e["version"], "event_hash": e["hash"]} for p, e in enumerate(events[:logged])]
    bundle.checkpoints = checkpoint(bundle, [5, len(bundle.log)])
    return bundle


NAMED = re.compile(r"([\w.-]+) ([0-9a-f-]{36}) version (\d+)")


def named(report: ov.VerificationReport) -> set[tuple[str, uuid.UUID, int]]:
    """The (application, originator_id, version) each problem names."""
    return {(m[1], uuid.UUID(m[2]), int(m[3])) for p in report.problems for m in NAMED.finditer(p)}


CASE_A, CASE_B, ACCOUNT = AGGREGATES


def test_an_untouched_bundle_passes(key, tmp_path):
    report = ov.verify_bundle(make_bundle(key).write(tmp_path / "b"))
    assert report.ok, report.problems
    assert report.problems == [] and report.warnings == []
    assert (report.events, report.aggregates, report.log_entries, report.checkpoints) == (12, 3, 12, 2)


def test_events_may_be_listed_in_any_order(key, tmp_path):
    bundle = make_bundle(key)
    bundle.events.reverse()
    assert ov.verify_bundle(bundle.write(tmp_path / "b")).ok


def test_one_changed_byte_of_a_state_is_named(key, tmp_path):
    bundle = make_bundle(key)
    event = bundle.event(*CASE_B, 2)
    state = bytearray(base64.b64decode(event["state_b64"]))
    state[3] ^= 0x01
    event["state_b64"] = base64.b64encode(bytes(state)).decode()
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert not report.ok
    assert named(report) == {(*CASE_B, 2)}
    assert any("hash does not match" in p for p in report.problems)


def test_a_deleted_event_is_named(key, tmp_path):
    bundle = make_bundle(key)
    bundle.events.remove(bundle.event(*CASE_B, 2))
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*CASE_B, 2)}
    assert any("missing from the chain" in p for p in report.problems)


def test_a_deleted_last_event_is_caught_by_the_log(key, tmp_path):
    bundle = make_bundle(key)
    bundle.events.remove(bundle.event(*ACCOUNT, 4))
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*ACCOUNT, 4)}
    assert any("not among the stored events" in p for p in report.problems)


def test_swapped_states_are_named(key, tmp_path):
    bundle = make_bundle(key)
    two, three = bundle.event(*CASE_A, 2), bundle.event(*CASE_A, 3)
    two["state_b64"], three["state_b64"] = three["state_b64"], two["state_b64"]
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*CASE_A, 2), (*CASE_A, 3)}


def test_a_consistently_rewritten_chain_is_caught_by_the_log(key, tmp_path):
    bundle = make_bundle(key)
    bundle.event(*CASE_B, 3)["state_b64"] = base64.b64encode(b'{"n": "forged"}').decode()
    rechain(bundle.events)
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*CASE_B, 3), (*CASE_B, 4)}
    assert all("logged hash differs" in p for p in report.problems)


def test_a_rewritten_chain_and_log_are_caught_by_the_signed_checkpoints(key, tmp_path):
    bundle = make_bundle(key)
    bundle.event(*CASE_B, 2)["state_b64"] = base64.b64encode(b'{"n": "forged"}').decode()
    rechain(bundle.events)
    relog(bundle)
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert not report.ok and named(report) == set()
    assert sorted(report.problems) == [
        "checkpoint of size 12: root is not the Merkle root of log positions 0..11",
        "checkpoint of size 5: root is not the Merkle root of log positions 0..4",
    ]


def test_a_rewrite_after_a_checkpoint_is_caught_by_the_next_ones_consistency_proof(key, tmp_path):
    bundle = make_bundle(key)
    bundle.event(*CASE_B, 2)["state_b64"] = base64.b64encode(b'{"n": "forged"}').decode()
    rechain(bundle.events)
    relog(bundle)
    # the new checkpoint is signed over the rewritten log (a stolen key); the earlier one was kept by the auditor
    bundle.checkpoints = bundle.checkpoints[:1] + checkpoint(bundle, [5, 12])[1:]
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert "checkpoint of size 12: not consistent with the checkpoint of size 5 before it" in report.problems


@pytest.mark.parametrize("version", [1, 3])
def test_a_broken_link_is_named(key, tmp_path, version):
    """An event re-hashed over another prev_hash: its own hash recomputes, the chain does not."""
    bundle = make_bundle(key)
    event = bundle.event(*ACCOUNT, version)
    event["prev_hash"] = sha(b"spliced").hex()
    event["hash"] = ov.event_hash(sha(b"spliced"), ACCOUNT[1], version, event["topic"],
                                  base64.b64decode(event["state_b64"])).hex()
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    link = "prev_hash is not GENESIS" if version == 1 else "prev_hash is not the hash of version 2"
    assert f"accounts {ACCOUNT[1]} version {version}: {link}" in report.problems
    assert named(report) == {(*ACCOUNT, version), (*ACCOUNT, version + 1)}  # and the next one no longer links


def test_log_entries_after_the_last_checkpoint_are_a_warning(key, tmp_path):
    bundle = make_bundle(key)
    bundle.checkpoints = checkpoint(bundle, [5, 10])
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert report.ok, report.problems
    assert report.warnings == ["log positions 10..11 are not yet in a signed checkpoint"]


@pytest.mark.parametrize("change", [{"timestamp": "2025-03-02T10:00:01+08:00"}, {"size": 11}])
def test_a_modified_checkpoint_is_refused(key, tmp_path, change):
    bundle = make_bundle(key)
    bundle.checkpoints[1] |= change
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    size = bundle.checkpoints[1]["size"]
    assert f"checkpoint of size {size}: signature does not verify with public_key.pem" in report.problems


def test_a_checkpoint_with_a_modified_root_is_refused(key, tmp_path):
    bundle = make_bundle(key)
    bundle.checkpoints[0]["root"] = flip(bytes.fromhex(bundle.checkpoints[0]["root"])).hex()
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert "checkpoint of size 5: signature does not verify with public_key.pem" in report.problems
    assert "checkpoint of size 5: root is not the Merkle root of log positions 0..4" in report.problems


def test_a_checkpoint_signed_by_another_key_is_refused(key, tmp_path):
    bundle = make_bundle(key)
    bundle.checkpoints = checkpoint(bundle, [5, 12], key=Ed25519PrivateKey.generate())
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert sorted(report.problems) == [
        "checkpoint of size 12: signature does not verify with public_key.pem",
        "checkpoint of size 5: signature does not verify with public_key.pem",
    ]


def test_a_missing_consistency_proof_is_a_problem(key, tmp_path):
    bundle = make_bundle(key)
    del bundle.checkpoints[1]["consistency"]
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert report.problems == ["checkpoint of size 12: no consistency proof from the checkpoint of size 5"]


def test_events_not_yet_logged_are_warnings_only_with_the_note(key, tmp_path):
    bundle = make_bundle(key, logged=9)  # version 4 of each aggregate is not in the log
    report = ov.verify_bundle(bundle.write(tmp_path / "without"))
    assert named(report) == {(*agg, 4) for agg in AGGREGATES}
    assert all("missing from the log" in p for p in report.problems)
    bundle.note = True
    report = ov.verify_bundle(bundle.write(tmp_path / "with"))
    assert report.ok, report.problems
    assert sorted(report.warnings) == sorted(f"{app} {oid} version 4: not yet logged" for app, oid in AGGREGATES)


def test_the_note_does_not_excuse_a_hole_in_the_log(key, tmp_path):
    bundle = make_bundle(key, logged=9)
    bundle.note = True
    dropped = next(e for e in bundle.log if (e["application"], e["originator_id"], e["version"]) == (
        CASE_A[0], str(CASE_A[1]), 2))  # version 3 stays logged
    bundle.log.remove(dropped)
    for p, entry in enumerate(bundle.log):
        entry["position"] = p
    bundle.checkpoints = checkpoint(bundle, [5, len(bundle.log)])
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*CASE_A, 2), (*CASE_A, 3)}
    assert f"cases {CASE_A[1]} version 2: missing from the log" in report.problems


def test_log_positions_must_be_dense(key, tmp_path):
    bundle = make_bundle(key)
    bundle.log[7]["position"] = 8
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert len(report.problems) == 1 and report.problems[0].startswith("log position 8 (")
    assert "expected position 7" in report.problems[0]


def test_log_entries_out_of_version_order_are_a_problem(key, tmp_path):
    bundle = make_bundle(key)
    bundle.log[0], bundle.log[3] = bundle.log[3], bundle.log[0]  # case A v2 logged before v1
    for p, entry in enumerate(bundle.log):
        entry["position"] = p
    bundle.checkpoints = checkpoint(bundle, [5, 12])
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*CASE_A, 2)}


# ---------------------------------------------------------------- command line


def test_main_exit_codes(key, tmp_path, capsys):
    good = make_bundle(key).write(tmp_path / "good")
    assert ov.main([str(good)]) == 0
    assert capsys.readouterr().out.startswith("OK: 12 events in 3 aggregates")

    bad = make_bundle(key)
    bad.events.remove(bad.event(*CASE_A, 4))
    assert ov.main([str(bad.write(tmp_path / "bad"))]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"PROBLEM: log position 9 (cases {CASE_A[1]} version 4): event is not among the stored events"
    assert out[-1].startswith("FAILED: 1 problems")

    assert ov.main([str(tmp_path / "nowhere")]) == 2
    broken = make_bundle(key).write(tmp_path / "broken")
    (broken / "log.jsonl").write_text("{not json\n")
    assert ov.main([str(broken)]) == 2
    (broken / "log.jsonl").unlink()
    assert ov.main([str(broken)]) == 2
    assert "log.jsonl is missing" in capsys.readouterr().err
    unreadable = make_bundle(key)
    unreadable.events[5]["hash"] = "not hex"
    assert ov.main([str(unreadable.write(tmp_path / "unreadable"))]) == 2
    assert "events.jsonl line 6: bad 'hash'" in capsys.readouterr().err


def test_the_copied_file_runs_standalone(key, tmp_path):
    """The audit bundle carries a verbatim copy; it must run with no project code importable."""
    bundle = make_bundle(key).write(tmp_path / "bundle")
    shutil.copy(ov.__file__, bundle / "verifier.py")
    run = subprocess.run([sys.executable, "-I", "verifier.py", "."], cwd=bundle, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    events = (bundle / "events.jsonl").read_text()
    (bundle / "events.jsonl").write_text(events.replace('"version": 2', '"version": 5', 1))
    run = subprocess.run([sys.executable, "-I", "verifier.py", "."], cwd=bundle, capture_output=True, text=True)
    assert run.returncode == 1 and "PROBLEM:" in run.stdout



# ---------------------------------------------------------------- redacted credential events

USER = ("Users", uuid.UUID(int=4))
ATTESTATION_FAILS = ("redacted, and its attestation does not verify with public_key.pem (its topic, hash, prev_hash "
                     "or version was changed)")
USER_TOPICS = ["domain.users.aggregate:User.Registered", "domain.users.aggregate:User.PasswordChanged",
               "domain.users.aggregate:User.Disabled", "domain.users.aggregate:User.PasswordChanged"]


def make_users_bundle(key: Ed25519PrivateKey, topics: list[str] = USER_TOPICS) -> Bundle:
    """A case and a user, 4 events each, logged and checkpointed; the user's credential events redacted as
    ``onething audit bundle`` writes them (hashes and links kept, state left out, the server's attestation)."""
    events = [{"application": app, "originator_id": str(oid), "version": v,
               "topic": topics[v - 1] if app == "Users" else f"domain.cases:Event{v}",
               "state_b64": base64.b64encode(json.dumps({"n": v, "password_hash": "$argon2id$v=19$secret"}
                                                        ).encode()).decode()}
              for v in range(1, 5) for app, oid in (CASE_A, USER)]
    rechain(events)
    bundle = Bundle(key, events)
    bundle.log = [{"position": p, "application": e["application"], "originator_id": e["originator_id"],
                   "version": e["version"], "event_hash": e["hash"]} for p, e in enumerate(events)]
    bundle.checkpoints = checkpoint(bundle, [3, len(bundle.log)])
    for event in bundle.events:
        if ov.is_credential_event(event["application"], event["topic"]):
            del event["state_b64"]
            event["redacted"] = ov.REDACTED
            event["attestation"] = ov.attest(key, event["application"], event["originator_id"], event["version"],
                                             event["topic"], bytes.fromhex(event["hash"]),
                                             bytes.fromhex(event["prev_hash"]))
    return bundle


def test_credential_events_are_the_password_and_token_events_of_the_users_store():
    assert ov.is_credential_event("Users", "domain.users.aggregate:User.Registered")
    assert ov.is_credential_event("Users", "domain.users.aggregate:User.PasswordChanged")
    assert ov.is_credential_event("Users", "domain.users.tokens:ApiToken.Issued")
    assert not ov.is_credential_event("Users", "domain.users.aggregate:User.Disabled")
    assert not ov.is_credential_event("Cases", "domain.users.aggregate:User.Registered")


def test_a_bundle_with_redacted_credential_events_verifies_and_says_how_many(key, tmp_path, capsys):
    bundle = make_users_bundle(key)
    assert sum("state_b64" not in e for e in bundle.events) == 3
    path = bundle.write(tmp_path / "b")
    report = ov.verify_bundle(path)
    assert report.ok, report.problems
    assert (report.events, report.redacted, report.log_entries) == (8, 3, 8)
    assert ov.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 8 events in 2 aggregates") and "3 events redacted (credentials)" in out
    assert "cannot be recomputed" in out


def test_a_redacted_event_with_a_changed_hash_fails(key, tmp_path):
    bundle = make_users_bundle(key)
    event = bundle.event(*USER, 2)
    event["hash"] = flip(bytes.fromhex(event["hash"])).hex()
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert not report.ok
    assert f"log position 3 (Users {USER[1]} version 2): logged hash differs from the stored event's hash" in (
        report.problems)
    assert f"Users {USER[1]} version 3: prev_hash is not the hash of version 2" in report.problems


@pytest.mark.parametrize("version", [1, 2])
def test_a_redacted_event_with_a_broken_link_fails(key, tmp_path, version):
    bundle = make_users_bundle(key)
    bundle.event(*USER, version)["prev_hash"] = sha(b"spliced").hex()
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    link = "prev_hash is not GENESIS" if version == 1 else "prev_hash is not the hash of version 1"
    assert report.problems == [f"Users {USER[1]} version {version}: {ATTESTATION_FAILS}",
                               f"Users {USER[1]} version {version}: {link}"]


def test_a_deleted_redacted_event_fails(key, tmp_path):
    bundle = make_users_bundle(key)
    bundle.events.remove(bundle.event(*USER, 2))
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert named(report) == {(*USER, 2)}


def test_a_case_event_cannot_pass_as_redacted(key, tmp_path):
    """Redacting hides an event's contents from the check: only credential events of Users may be redacted,
    and the application is bound to the signed log, so relabelling the topic does not help."""
    bundle = make_users_bundle(key)
    event = bundle.event(*CASE_A, 3)
    del event["state_b64"]
    event["redacted"], event["topic"] = ov.REDACTED, "domain.users.aggregate:User.Registered"
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert report.problems == [f"cases {CASE_A[1]} version 3: redacted, but it is not a credential event"]


CREDENTIAL_FIELD = re.compile(r"password|token|secret|session|credential", re.IGNORECASE)


def domain_events() -> dict[str, type]:
    """Every event class the domain defines (nested in aggregates or not), by topic."""
    import importlib
    import inspect
    import pkgutil

    from eventsourcing.domain import DomainEvent
    from eventsourcing.utils import get_topic

    import domain

    found: dict[str, type] = {}
    pending = [importlib.import_module(m.name)
               for m in pkgutil.walk_packages(domain.__path__, "domain.") if not m.ispkg]
    while pending:
        owner = pending.pop()
        for _, cls in inspect.getmembers(owner, inspect.isclass):
            if cls.__module__.startswith("domain.") and cls not in found.values():
                if issubclass(cls, DomainEvent):
                    found[get_topic(cls)] = cls
                pending.append(cls)
    return found


def test_every_domain_event_holding_a_credential_is_redacted_from_bundles():
    """A new event with a password, token or secret field must be listed in CREDENTIAL_EVENTS (and every
    listed topic must still name a real event), or bundles would carry the credential."""
    from eventsourcing.utils import resolve_topic

    events = domain_events()
    assert "domain.case.aggregate:Case.ItemApproved" in events  # the walk finds the events nested in aggregates
    holding = {topic for topic, cls in events.items()
               if any(CREDENTIAL_FIELD.search(name) for klass in cls.__mro__
                      for name in getattr(klass, "__annotations__", {}))}
    listed = set().union(*ov.CREDENTIAL_EVENTS.values())
    assert holding <= listed, f"credential events missing from CREDENTIAL_EVENTS: {sorted(holding - listed)}"
    assert {"domain.users.aggregate:User.Registered", "domain.users.tokens:ApiToken.Issued"} <= holding
    for topic in listed:
        resolve_topic(topic)


def test_the_reviewers_attack_a_disabled_user_passed_off_as_a_password_change_fails(key, tmp_path, capsys):
    """A User.Disabled event ("fired for fraud") shipped without its state, relabelled User.PasswordChanged:
    its topic is bound to nothing but the server's attestation, which no forger can make without the key."""
    bundle = make_users_bundle(key)
    event = bundle.event(*USER, 3)
    assert event["topic"] == "domain.users.aggregate:User.Disabled" and "state_b64" in event
    del event["state_b64"]
    event["redacted"], event["topic"] = ov.REDACTED, "domain.users.aggregate:User.PasswordChanged"
    path = bundle.write(tmp_path / "b")
    report = ov.verify_bundle(path)
    assert not report.ok and named(report) == {(*USER, 3)}, report.problems
    assert ov.main([str(path)]) == 1
    assert f"PROBLEM: Users {USER[1]} version 3: " in capsys.readouterr().out


def test_every_redacted_event_of_a_genuine_bundle_carries_an_attestation_that_verifies(key, tmp_path):
    bundle = make_users_bundle(key)
    redacted = [e for e in bundle.events if "state_b64" not in e]
    assert len(redacted) == 3 and all("attestation" in e for e in redacted)
    assert ov.verify_bundle(bundle.write(tmp_path / "b")).problems == []
    public = key.public_key()
    for e in redacted:
        assert ov.verify_attestation(public, e["attestation"], "Users", USER[1], e["version"], e["topic"],
                                     bytes.fromhex(e["hash"]), bytes.fromhex(e["prev_hash"]))


def test_an_attestation_binds_every_field_and_the_key(key):
    fields = ("Users", USER[1], 2, "domain.users.aggregate:User.PasswordChanged", sha(b"h"), sha(b"p"))
    signature = ov.attest(key, *fields)
    assert ov.verify_attestation(key.public_key(), signature, *fields)
    other_fields = ("Cases", uuid.UUID(int=5), 3, "domain.users.aggregate:User.Registered", sha(b"x"), sha(b"y"))
    for i, other in enumerate(other_fields):
        changed = fields[:i] + (other,) + fields[i + 1:]
        assert not ov.verify_attestation(key.public_key(), signature, *changed), i
    assert not ov.verify_attestation(Ed25519PrivateKey.generate().public_key(), signature, *fields)
    for bad in (None, 7, "zz", "", signature[:-2]):
        assert not ov.verify_attestation(key.public_key(), bad, *fields)


@pytest.mark.parametrize("version, topic", [(1, "domain.users.aggregate:User.PasswordChanged"),
                                            (2, "domain.users.tokens:ApiToken.Issued"),
                                            (4, "domain.users.aggregate:User.Registered")])
def test_a_redacted_event_with_a_changed_topic_fails(key, tmp_path, version, topic):
    bundle = make_users_bundle(key)
    bundle.event(*USER, version)["topic"] = topic
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert f"Users {USER[1]} version {version}: {ATTESTATION_FAILS}" in report.problems
    assert named(report) == {(*USER, version)}


def test_a_redacted_event_with_a_changed_hash_fails_its_attestation(key, tmp_path):
    bundle = make_users_bundle(key)
    event = bundle.event(*USER, 4)  # the last one: no later link names its hash
    event["hash"] = sha(b"another password hash").hex()
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert f"Users {USER[1]} version 4: {ATTESTATION_FAILS}" in report.problems


def test_redacted_events_with_swapped_versions_fail(key, tmp_path):
    bundle = make_users_bundle(key)
    second, fourth = bundle.event(*USER, 2), bundle.event(*USER, 4)  # both User.PasswordChanged
    second["version"], fourth["version"] = 4, 2
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    for version in (2, 4):
        assert f"Users {USER[1]} version {version}: {ATTESTATION_FAILS}" in report.problems


def test_an_attestation_copied_from_another_redacted_event_fails(key, tmp_path):
    bundle = make_users_bundle(key)
    bundle.event(*USER, 4)["attestation"] = bundle.event(*USER, 2)["attestation"]
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert report.problems == [f"Users {USER[1]} version 4: {ATTESTATION_FAILS}"]


def test_an_attestation_signed_by_another_key_fails(key, tmp_path):
    bundle = make_users_bundle(key)
    e = bundle.event(*USER, 2)
    e["attestation"] = ov.attest(Ed25519PrivateKey.generate(), "Users", USER[1], 2, e["topic"],
                                 bytes.fromhex(e["hash"]), bytes.fromhex(e["prev_hash"]))
    report = ov.verify_bundle(bundle.write(tmp_path / "b"))
    assert report.problems == [f"Users {USER[1]} version 2: {ATTESTATION_FAILS}"]


@pytest.mark.parametrize("unattested, why", [
    ("hash-mismatch", "its stored hash does not recompute from its stored contents (the store was changed)"),
    ("anything-else", "the bundle carries none"),
    (None, "the bundle carries none")])
def test_a_redacted_event_without_an_attestation_fails_saying_why(key, tmp_path, capsys, unattested, why):
    bundle = make_users_bundle(key)
    e = bundle.event(*USER, 2)
    del e["attestation"]
    if unattested:
        e["unattested"] = unattested
    path = bundle.write(tmp_path / "b")
    assert ov.verify_bundle(path).problems == [
        f"Users {USER[1]} version 2: redacted without the server's attestation: {why}"]
    assert ov.main([str(path)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"PROBLEM: Users {USER[1]} version 2: redacted without the server's attestation: {why}")


@pytest.mark.parametrize("topic", ["domain.users.aggregate:User.Registered", "domain.users.tokens:ApiToken.Issued"])
def test_a_creation_event_past_version_1_fails_redacted_and_attested_or_not(key, tmp_path, topic):
    """Checked apart from the attestation: even an attested creation event (a key holder's forgery) cannot
    stand in the middle of an aggregate's history, and neither can one shipped with its state."""
    attested = make_users_bundle(key, [*USER_TOPICS[:2], topic, USER_TOPICS[3]])
    assert "attestation" in attested.event(*USER, 3)
    shipped = make_users_bundle(key)
    shipped.event(*USER, 3)["topic"] = topic  # the Disabled event, state and all
    for name, bundle in (("attested", attested), ("shipped", shipped)):
        report = ov.verify_bundle(bundle.write(tmp_path / name))
        assert f"Users {USER[1]} version 3: {topic} can only be an aggregate's version 1" in report.problems, name
        assert named(report) == {(*USER, 3)}, name
