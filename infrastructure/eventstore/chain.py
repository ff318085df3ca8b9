"""The hash chain of the event store: each stored event's hash covers its stored bytes and the hash before it.

One chain per aggregate. For the event at ``version`` (1, 2, ...)::

    hash = SHA256(EVENT_DOMAIN + prev (32 bytes) + originator_id.bytes (16)
                  + version (8 bytes) + len(topic_utf8) (4 bytes) + topic_utf8 + len(state) (8 bytes) + state)

``prev`` is the hash of the previous version, ``GENESIS`` (32 zero bytes) for version 1; integers are
unsigned big-endian. ``state`` is the stored (possibly encrypted or compressed) bytes, so no key is needed.

This is format 1 of ``infrastructure/audit/offline_verifier.py``. The verifier keeps its own copy on purpose:
an audit bundle carries that one file alone, to be run without the server. The server writes and checks the
chain with this module; ``tests/infrastructure/eventstore/test_chain_agrees_with_offline_verifier.py`` proves
the two agree.
"""

from __future__ import annotations

import hashlib
import uuid

GENESIS = bytes(32)  # the ``prev`` of an aggregate's version 1
EVENT_DOMAIN = b"onething.event.v1\n"  # domain separation: no other hash of OneThing starts with these bytes


def framed_topic(topic: str) -> bytes:
    """A topic as the chain hashes it: its UTF-8 length (4 bytes) then its UTF-8 bytes."""
    encoded = topic.encode()
    return len(encoded).to_bytes(4, "big") + encoded


class TopicFraming(dict[str, bytes]):
    """Each topic's ``framed_topic``, made once per topic (a store holds few topics and many events)."""

    def __missing__(self, topic: str) -> bytes:
        self[topic] = framed = framed_topic(topic)
        return framed


def event_hash(prev: bytes, originator_id: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one stored event, chained to ``prev``, the hash of the aggregate's event before it."""
    if len(prev) != 32:
        raise ValueError("prev must be 32 bytes")
    return hashlib.sha256(
        EVENT_DOMAIN + prev + originator_id.bytes + version.to_bytes(8, "big")
        + framed_topic(topic) + len(state).to_bytes(8, "big") + state
    ).digest()
