"""The server's hash chain and the standalone verifier's copy of it hash every event alike.

The verifier keeps its own copy of format 1 on purpose (an audit bundle carries that one file alone); a
difference between the two would make every bundle fail, or let the server write a chain no auditor checks.
"""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infrastructure.audit import offline_verifier
from infrastructure.eventstore import chain

hashes = st.binary(min_size=32, max_size=32)
versions = st.integers(min_value=1, max_value=2**63 - 1)
ids = st.uuids()


def test_constants_are_the_same():
    assert chain.GENESIS == offline_verifier.GENESIS == bytes(32)
    assert chain.EVENT_DOMAIN == offline_verifier.EVENT_DOMAIN


@given(prev=hashes, originator_id=ids, version=versions, topic=st.text(), state=st.binary(max_size=4096))
def test_any_event_hashes_alike(prev, originator_id, version, topic, state):
    assert chain.event_hash(prev, originator_id, version, topic, state) == offline_verifier.event_hash(
        prev, originator_id, version, topic, state)


@pytest.mark.parametrize(("prev", "version", "topic", "state"), [
    (bytes(32), 1, "domain.case.aggregate:Case.Created", b""),                # a first event, empty state
    (bytes(32), 1, "", b""),                                                  # nothing at all
    (b"\xff" * 32, 2**63 - 1, "domain.case_events:ItemApproved", b"\x00" * 1_000_000),  # largest version, 1 MB
    (bytes(range(32)), 7, "领域.案件:事项已批准 ✓", "审批意见 😀".encode()),     # topic and state beyond ASCII
    (bytes(range(32)), 3, "a\x00b\nc", b"\n\x00\r"),                          # control characters
], ids=["version-1-empty-state", "empty", "large", "unicode", "control-characters"])
def test_chosen_events_hash_alike(prev, version, topic, state):
    originator_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    ours = chain.event_hash(prev, originator_id, version, topic, state)
    assert ours == offline_verifier.event_hash(prev, originator_id, version, topic, state)
    assert len(ours) == 32


def test_a_chain_of_events_links_alike():
    originator_id, ours, theirs = uuid.uuid4(), chain.GENESIS, offline_verifier.GENESIS
    for version in range(1, 20):
        state = bytes([version]) * version
        ours = chain.event_hash(ours, originator_id, version, "domain.petition:Petition.Filed", state)
        theirs = offline_verifier.event_hash(theirs, originator_id, version, "domain.petition:Petition.Filed", state)
        assert ours == theirs


@given(topic=st.text())
def test_the_framed_topic_is_the_verifiers_topic_framing(topic):
    encoded = topic.encode()
    assert chain.framed_topic(topic) == len(encoded).to_bytes(4, "big") + encoded
    assert chain.TopicFraming()[topic] == chain.framed_topic(topic)


@pytest.mark.parametrize("prev", [b"", bytes(31), bytes(33)])
def test_both_refuse_a_prev_that_is_not_32_bytes(prev):
    for module in (chain, offline_verifier):
        with pytest.raises(ValueError):
            module.event_hash(prev, uuid.uuid4(), 1, "t", b"")
