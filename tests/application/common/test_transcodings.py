"""How recurring values (the actor on every event) are read back from stored events."""

from __future__ import annotations

from application.common.transcodings import RecurringAsDict
from domain.shared.values import Actor, Role


def test_an_actor_read_from_many_events_is_made_once_and_equals_the_one_recorded():
    transcoding = RecurringAsDict(Actor, "actor")
    reviewer = Actor("li.na", Role.REVIEWER, "amr")

    first = transcoding.decode(reviewer.to_dict())
    again = transcoding.decode(reviewer.to_dict())

    assert first == reviewer and again is first
    other = transcoding.decode(Actor("wang.wei", Role.REVIEWER, "amr").to_dict())
    assert other != first and other.user_id == "wang.wei"


def test_actors_differing_only_in_enterprise_stay_apart():
    transcoding = RecurringAsDict(Actor, "actor")
    one = transcoding.decode(Actor("agent", Role.APPLICANT, None, "91370100MA3C2YJ001").to_dict())
    two = transcoding.decode(Actor("agent", Role.APPLICANT, None, "91370100MA3C2YJ002").to_dict())
    assert (one.enterprise, two.enterprise) == ("91370100MA3C2YJ001", "91370100MA3C2YJ002")


def test_the_shared_values_are_bounded():
    transcoding = RecurringAsDict(Actor, "actor", limit=3)
    for n in range(10):
        assert transcoding.decode(Actor(f"user{n}", Role.INTAKE).to_dict()).user_id == f"user{n}"
    assert len(transcoding.made) <= 3
