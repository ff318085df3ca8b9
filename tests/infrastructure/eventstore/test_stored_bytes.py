"""What a command stores comes back byte for byte, whatever its bytes and text hold, and chained."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import StoredEvent

from infrastructure.eventstore.chain import GENESIS, event_hash
from tests.conftest import make_services

AWKWARD_STATE = b"{\"reason\":\"it's 100% \\\\ done; DROP TABLE x; --\xe4\xb8\x80\"}\x00\xff'%s%(x)s"
AWKWARD_TOPIC = "domain.case.aggregate:Case.It's%s;--"


def test_quotes_percent_signs_backslashes_and_zero_bytes_are_stored_exactly(database_url):
    recorder = make_services(database_url).cases.recorder
    originator = uuid.uuid4()
    ids = recorder.insert_events([StoredEvent(originator, 1, AWKWARD_TOPIC, AWKWARD_STATE),
                                  StoredEvent(originator, 2, "x:Y", b"")])
    assert len(ids) == 2 and ids[0] < ids[1]
    stored = recorder.select_events(originator)
    assert [(e.originator_version, e.topic, e.state) for e in stored] == [
        (1, AWKWARD_TOPIC, AWKWARD_STATE), (2, "x:Y", b"")]
    first = event_hash(GENESIS, originator, 1, AWKWARD_TOPIC, AWKWARD_STATE)
    assert recorder.select_chain(originator) == [(1, first, GENESIS),
                                                 (2, event_hash(first, originator, 2, "x:Y", b""), first)]
