"""A case's inclusion proof shows its events are in a signed checkpoint, and reveals no other case."""

from __future__ import annotations

import copy

import pytest

from application.common.errors import InvalidInput, NotAllowed
from infrastructure.audit.offline_verifier import generate_key, load_public_key, public_key_pem, verify_case_proof
from tests.application.helpers import complete_restaurant, open_restaurant
from tests.conftest import AUDITOR, SUPERVISOR


@pytest.fixture
def proven(services):
    key = generate_key(services.settings.audit_key)
    a, b = open_restaurant(services), open_restaurant(services)
    complete_restaurant(services, a)
    services.audit.checkpoint(None)
    return services, a, b, load_public_key(public_key_pem(key))


def test_every_event_of_the_case_is_proven_in_the_latest_checkpoint(proven):
    services, a, b, public = proven
    proof = services.audit.case_proof(AUDITOR, a)
    assert [e["version"] for e in proof["events"]] == list(range(1, services.cases.load(a).version + 1))
    assert proof["checkpoint"]["size"] == services.audit_log.size()
    assert verify_case_proof(public, proof) == []
    assert str(b) not in str(proof)  # nothing of the other case but hashes


def test_a_forged_path_or_checkpoint_is_refused(proven):
    services, a, _, public = proven
    proof = services.audit.case_proof(AUDITOR, a)
    forged = copy.deepcopy(proof)
    forged["events"][2]["path"][0] = "00" * 32
    assert verify_case_proof(public, forged) == [f"Cases {a} version 3: not in the checkpoint of size "
                                                 f"{proof['checkpoint']['size']}"]
    moved = copy.deepcopy(proof)
    moved["events"][0]["event_hash"] = moved["events"][1]["event_hash"]
    assert len(verify_case_proof(public, moved)) == 1
    resized = copy.deepcopy(proof)
    resized["checkpoint"]["root"] = "11" * 32
    assert verify_case_proof(public, resized) == ["the checkpoint's signature does not verify"]


def test_only_auditors_read_proofs_and_an_unsigned_log_has_none(services):
    case = open_restaurant(services)
    with pytest.raises(NotAllowed):
        services.audit.case_proof(SUPERVISOR, case)
    with pytest.raises(InvalidInput):
        services.audit.case_proof(AUDITOR, case)  # no checkpoint signed yet
