"""An item's plain data (what snapshots and events store) is the dataclass's fields, copied."""

from dataclasses import asdict

from tests.conftest import FOOD
from tests.domain.case.cases import CLOCK, FOOD_PERMIT, LICENCE, licence_issued


def test_item_plain_data_is_what_asdict_gives_for_items_at_every_stage():
    case = licence_issued()
    case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
    case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
    for item in case.items.values():
        assert item.to_dict() == asdict(item)
        assert list(item.to_dict()) == list(asdict(item))  # same order: the same stored JSON


def test_changing_an_items_plain_data_leaves_the_item_unchanged():
    item = licence_issued().items[LICENCE]
    plain = item.to_dict()
    plain["certificates"][0]["number"] = "changed"
    plain["outputs"].append({"type": "extra"})
    plain["materials"].clear()
    assert item.to_dict() == asdict(item) != plain
