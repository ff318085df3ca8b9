"""Stored JSON reads to the same values through orjson as through eventsourcing's own transcoder."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from sqlalchemy import select

from application.common.transcodings import DOMAIN_TRANSCODINGS
from infrastructure.eventstore.recorders import sql_recorder
from infrastructure.eventstore.transcoder import OneThingTranscoder
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import SUPERVISOR


def both() -> tuple[JSONTranscoder, OneThingTranscoder]:
    standard, ours = JSONTranscoder(), OneThingTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), *DOMAIN_TRANSCODINGS):  # as the applications
        standard.register(transcoding)
        ours.register(transcoding)
    return standard, ours


def test_the_applications_read_their_events_with_the_orjson_transcoder(services):
    assert isinstance(services.cases.mapper.transcoder, OneThingTranscoder)


def test_every_stored_event_and_snapshot_reads_to_the_same_values_as_with_the_standard_library(services):
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    complete_restaurant(services, case_id)
    other = open_restaurant(services)
    for n in range(60):  # enough events for the Cases store to take a snapshot (every 50)
        services.cases.supervision.escalate(SUPERVISOR, other, f"reason {n}", 1)
    standard, ours = both()
    states = []
    for app in (services.cases, services.catalogue, services.users):
        recorder = sql_recorder(app.recorder)
        tables = [recorder.events_record_cls.__table__]
        snapshots = getattr(app, "snapshots", None)
        if snapshots is not None:
            tables.append(snapshots.recorder.events_record_cls.__table__)
        with recorder.datastore.engine.connect() as connection:
            for table in tables:
                states += [bytes(state) for state in connection.execute(select(table.c.state)).scalars()]
    assert len(states) > 80 and any(b"item_state" in state for state in states)  # a snapshot is among them

    assert [ours.decode(s) for s in states] == [standard.decode(s) for s in states]


@pytest.mark.parametrize("text", [
    '{"at":{"_type_":"date_iso","_data_":"2026-12-07"},"n":1}',  # typed at the top
    '{"who":{"_type_":"actor","_data_":{"user_id":"u","role":"intake","department":null}}}',
    '{"items":[{"_type_":"date_iso","_data_":"2026-01-02"},[{"_type_":"date_iso","_data_":"2026-01-03"}]]}',
    '{"_type_":"date_iso","_data_":"2026-12-07"}',  # the whole document is one typed value
    '[{"_type_":"date_iso","_data_":"2026-12-07"}, 1, "x"]',  # not an object at the top
    '{"a":{"_type_":"date_iso","_data_":"2026-12-07"},"b":{"c":{"_type_":"date_iso","_data_":"2026-12-08"}}}',
    '{"three":{"_type_":"date_iso","_data_":"2026-12-07","more":1},"two":{"_type_":1}}',  # not typed values
    '{"text":"he wrote \\"_type_\\": here","at":{"_type_":"date_iso","_data_":"2026-12-07"}}',
    '{"x":NaN,"y":Infinity,"big":123456789012345678901234567890,"s":"\\ud800"}',  # only the standard library
    '{"n":18446744073709551616}',  # 2**64: orjson would read a float
    '{"n":-9223372036854775809}',  # below -2**63
    '{"n":9223372036854775807,"m":-9223372036854775808}',  # the 64-bit bounds themselves
    '{"code":"1234567890123456789012","at":{"_type_":"date_iso","_data_":"2026-12-07"}}',  # long digits in text
    '{"name":"泉城小馆","emoji":"\\ud83d\\ude00","n":-0.0,"f":1e400}',
    '{}',
    '{"x":{"_type_":"decimal_str","_data_":{"_type_":"decimal_str","_data_":"1.5"}}}',  # typed in typed
])
def test_edge_cases_read_as_the_standard_library_reads_them(text):
    standard, ours = both()
    data = text.encode("utf8")
    assert ours.decode(data) == standard.decode(data)
    assert repr(ours.decode(data)) == repr(standard.decode(data))


def test_an_unknown_typed_value_is_refused_as_by_the_standard_transcoder():
    standard, ours = both()
    data = b'{"x":{"_type_":"no_such_type","_data_":1}}'
    with pytest.raises(TranscodingNotRegisteredError):
        standard.decode(data)
    with pytest.raises(TranscodingNotRegisteredError):
        ours.decode(data)
