"""Consistency tokens as text: what a client sends back must be exactly what a write answered with."""

from __future__ import annotations

import pytest

from application.common.consistency import ConsistencyToken, Writes, noting_writes, note_written
from application.common.errors import InvalidInput


def test_a_token_reads_back_as_the_positions_it_was_written_with():
    token = ConsistencyToken({"Petitions": 7, "Cases": 1042})
    assert str(token) == "1:Cases=1042,Petitions=7"
    assert ConsistencyToken.parse(str(token), {"Cases", "Petitions"}) == token
    assert ConsistencyToken.parse("1:", {"Cases"}).positions == {}


@pytest.mark.parametrize("text", ["", "1", "Cases=3", "0:Cases=3", "1:Cases=", "1:Cases=3,,x", "1:3=Cases",
                                  "1:Cases=3 ;drop", "1:Cases=1e3"])
def test_anything_else_is_refused_as_invalid_input(text):
    with pytest.raises(InvalidInput):
        ConsistencyToken.parse(text, {"Cases"})


def test_a_store_the_service_does_not_have_is_refused():
    with pytest.raises(InvalidInput, match="Elsewhere"):
        ConsistencyToken.parse("1:Elsewhere=3", {"Cases"})


def test_merging_keeps_the_later_position_of_each_store():
    merged = ConsistencyToken({"Cases": 9, "Users": 2}).merged(ConsistencyToken({"Cases": 4, "Petitions": 1}))
    assert merged.positions == {"Cases": 9, "Users": 2, "Petitions": 1}


def test_writes_are_noted_only_inside_a_request_and_keep_the_highest_position():
    note_written("stored_cases", 5)  # no request open: nowhere to note it, and no error
    with noting_writes() as writes:
        note_written("stored_cases", 8)
        note_written("stored_cases", 6)
        note_written("stored_users", None)
    assert writes == Writes({"stored_cases": 8})
    note_written("stored_cases", 99)
    assert writes.by_table == {"stored_cases": 8}
