"""Bundle definitions: the consistency rules ``check_definition`` enforces, and their shape."""

import json

import pytest

from domain.catalogue.definitions import (
    BundleDef,
    ItemDef,
    MaterialDef,
    StageDef,
    check_definition,
    find_cycle,
    prerequisite_order,
)
from domain.shared.errors import InvalidBundle
from tests.conftest import restaurant_bundle

DEPARTMENTS = ("amr", "amr-food", "psb")


def item(code: str, **fields) -> ItemDef:
    """An item of the amr with a 3-day limit, changed by ``fields``."""
    defaults = {"code": code, "name": code, "department": "amr", "time_limit_days": 3}
    return ItemDef(**{**defaults, **fields})


def bundle(*items: ItemDef, **fields) -> BundleDef:
    """Bundle "b" with one material and one stage, and ``items`` (one plain item if none)."""
    return BundleDef(**{
        "code": "b", "name": "测试一件事", "items": items or (item("a"),),
        "materials": (MaterialDef("id-card", "身份证明"),), "stages": (StageDef("s1", "准入"),),
        **fields,
    })


def refusal(definition: BundleDef) -> InvalidBundle:
    """Return the InvalidBundle that ``check_definition`` raises for ``definition``."""
    with pytest.raises(InvalidBundle) as info:
        check_definition(definition, DEPARTMENTS)
    return info.value


REFUSALS = {
    "unknown department": (bundle(item("a", department="fire")), "items[a].department"),
    "dangling prerequisite": (
        bundle(item("a", prerequisites=("ghost",))), "items[a].prerequisites"
    ),
    "item its own prerequisite": (bundle(item("a", prerequisites=("a",))), "items.prerequisites"),
    "prerequisite cycle": (
        bundle(item("a", prerequisites=("b",)), item("b", prerequisites=("a",))),
        "items.prerequisites",
    ),
    "material not declared": (bundle(item("a", materials=("passport",))), "items[a].materials"),
    "zero time limit": (bundle(item("a", time_limit_days=0)), "items[a].time_limit_days"),
    "negative time limit": (bundle(item("a", time_limit_days=-2)), "items[a].time_limit_days"),
    "statutory shorter than promised": (
        bundle(item("a", time_limit_days=5, statutory_limit_days=4)),
        "items[a].statutory_limit_days",
    ),
    "duplicate item code": (bundle(item("a"), item("a")), "items"),
    "duplicate material key": (
        bundle(materials=(MaterialDef("id-card", "身份证明"), MaterialDef("id-card", "身份证"))),
        "materials",
    ),
    "duplicate stage": (bundle(stages=(StageDef("s1", "准入"), StageDef("s1", "准营"))), "stages"),
    "unknown stage": (bundle(item("a", stage="s9")), "items[a].stage"),
    "bad inspection method": (bundle(item("a", inspection="drone")), "items[a].inspection"),
    "unknown lead department": (bundle(lead_department="fire"), "lead_department"),
    "no items": (BundleDef(code="b", name="空", items=()), "items"),
}


@pytest.mark.parametrize(("definition", "field"), REFUSALS.values(), ids=REFUSALS.keys())
def test_check_definition_names_the_bundle_and_the_field_at_fault(definition, field):
    error = refusal(definition)
    assert (error.bundle, error.field) == ("b", field)
    assert "'b'" in str(error) and field in str(error)


def test_a_longer_cycle_is_reported_with_its_path():
    definition = bundle(
        item("a", prerequisites=("b",)),
        item("b", prerequisites=("c",)),
        item("c", prerequisites=("a",)),
    )
    error = refusal(definition)
    assert error.field == "items.prerequisites"
    assert "a -> b -> c -> a" in error.message


def test_a_sound_definition_passes():
    definition = bundle(
        item("a", materials=("id-card",), stage="s1", inspection="onsite", statutory_limit_days=20),
        item("b", department="psb", prerequisites=("a",), inspection="video"),
        lead_department="amr",
    )
    assert check_definition(definition, DEPARTMENTS) is None


def test_statutory_limit_equal_to_the_promised_one_passes():
    check_definition(bundle(item("a", time_limit_days=5, statutory_limit_days=5)), DEPARTMENTS)


def test_the_restaurant_bundle_passes_with_its_departments():
    check_definition(restaurant_bundle(), DEPARTMENTS)


class TestFindCycle:
    def test_returns_the_cycle_as_a_closed_path(self):
        assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]

    def test_starts_the_path_where_the_cycle_starts(self):
        assert find_cycle({"x": ["a"], "a": ["b"], "b": ["a"]}) == ["a", "b", "a"]

    def test_finds_a_self_loop(self):
        assert find_cycle({"a": ["a"]}) == ["a", "a"]

    def test_returns_nothing_for_a_diamond_without_cycle(self):
        assert find_cycle({"d": ["b", "c"], "b": ["a"], "c": ["a"], "a": []}) == []


class TestPrerequisiteOrder:
    def test_puts_prerequisites_first_whatever_the_listed_order(self):
        definition = bundle(
            item("c", prerequisites=("b",)), item("b", prerequisites=("a",)), item("a")
        )
        assert prerequisite_order(definition) == ["a", "b", "c"]

    def test_restaurant_licence_comes_before_food_permit(self):
        assert prerequisite_order(restaurant_bundle()) == ["business-licence", "food-permit"]

    def test_lists_every_item_once(self):
        definition = bundle(
            item("d", prerequisites=("b", "c")), item("b", prerequisites=("a",)),
            item("c", prerequisites=("a",)), item("a"),
        )
        order = prerequisite_order(definition)
        assert sorted(order) == ["a", "b", "c", "d"]
        assert order.index("a") < order.index("b") < order.index("d")
        assert order.index("c") < order.index("d")


class TestDictionaries:
    def test_to_dict_and_from_dict_round_trip(self):
        definition = restaurant_bundle()
        assert BundleDef.from_dict(definition.to_dict()) == definition

    def test_round_trip_survives_json(self):
        # Published events store the definition as JSON: tuples come back as lists.
        definition = bundle(
            item("a", materials=("id-card",), stage="s1"), item("b", prerequisites=("a",)),
            baseline={"trips": 5, "days": 30}, bundled={"trips": 1, "days": 7},
        )
        data = json.loads(json.dumps(definition.to_dict(), ensure_ascii=False))
        assert BundleDef.from_dict(data) == definition

    def test_item_finds_an_item_by_code(self):
        definition = restaurant_bundle()
        assert definition.item("food-permit").inspection == "video"
        with pytest.raises(KeyError):
            definition.item("liquor-licence")



def test_an_item_stage_must_be_declared_even_when_the_bundle_declares_no_stages():
    from domain.catalogue.definitions import BundleDef, ItemDef, check_definition
    from domain.shared.errors import InvalidBundle

    bundle = BundleDef(code="b", name="b", items=(ItemDef("x", "x", "amr", 1, stage="nowhere"),))
    with pytest.raises(InvalidBundle) as error:
        check_definition(bundle, ["amr"])
    assert (error.value.bundle, error.value.field) == ("b", "items[x].stage")
