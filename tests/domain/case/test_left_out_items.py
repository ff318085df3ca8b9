"""An item its rules left out comes back only while nothing that waits on it has gone ahead."""

from __future__ import annotations

from domain.case.rules import went_ahead_without

PREREQUISITES = {"a": [], "b": ["a"], "c": ["b"]}


def test_an_item_left_out_may_come_back_while_what_waits_on_it_still_waits():
    assert not went_ahead_without("a", {"a": "not_applicable", "b": "waiting", "c": "waiting"}, PREREQUISITES)


def test_an_item_left_out_stays_so_once_anything_waiting_on_it_has_moved_on_even_indirectly():
    assert went_ahead_without("a", {"a": "not_applicable", "b": "approved", "c": "waiting"}, PREREQUISITES)
    assert went_ahead_without("a", {"a": "not_applicable", "b": "not_applicable", "c": "in_review"}, PREREQUISITES)
