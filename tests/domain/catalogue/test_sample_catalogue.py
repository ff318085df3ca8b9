"""The sample bundles shipped with OneThing are sound definitions of the seeds' bundles."""

import json

import pytest

from domain.catalogue.definitions import BundleDef, check_definition, prerequisite_order
from infrastructure.catalogue.files import sample_catalogue
from tests.conftest import sample_file

SAMPLES = [
    "building-one-certificate.json",
    "construction-permit-commitment.json",
    "foreign-talent.json",
    "individual-to-company.json",
    "industrial-land-use.json",
    "restaurant-opening.json",
]


def definitions(name: str) -> list[BundleDef]:
    """The bundles of one sample file."""
    return [BundleDef.from_dict(b) for b in sample_file(name)["bundles"]]


def test_the_six_samples_are_shipped():
    assert sorted(sample_catalogue()) == SAMPLES


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_passes_check_definition_with_its_own_departments(name):
    departments = [d["code"] for d in sample_file(name)["departments"]]
    for definition in definitions(name):
        check_definition(definition, departments)


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_is_named_after_its_one_bundle(name):
    assert [d.code for d in definitions(name)] == [name.removesuffix(".json")]


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_has_a_life_cycle_category_and_a_lead_department(name):
    for definition in definitions(name):
        assert definition.category.split("/")[0] in ("enterprise", "person")
        assert definition.lead_department


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_survives_a_json_round_trip(name):
    for definition in definitions(name):
        data = json.loads(json.dumps(definition.to_dict(), ensure_ascii=False))
        assert BundleDef.from_dict(data) == definition


class TestIndustrialLandUse:
    @pytest.fixture
    def land_use(self) -> BundleDef:
        [definition] = definitions("industrial-land-use.json")
        return definition

    def test_has_three_stages(self, land_use):
        assert len(land_use.stages) == 3

    def test_has_seven_item_categories(self, land_use):
        assert len({i.category for i in land_use.items}) == 7

    def test_has_fifty_three_items(self, land_use):
        assert len(land_use.items) == 53

    def test_every_item_belongs_to_a_declared_stage(self, land_use):
        stages = {s.code for s in land_use.stages}
        assert all(i.stage in stages for i in land_use.items)

    def test_prerequisite_order_places_every_item_after_its_prerequisites(self, land_use):
        order = prerequisite_order(land_use)
        assert len(order) == 53
        for item in land_use.items:
            assert all(order.index(p) < order.index(item.code) for p in item.prerequisites)
