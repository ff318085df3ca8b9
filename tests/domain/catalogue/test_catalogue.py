"""The catalogue and bundle aggregates: departments, and versioned, immutable definitions."""

from dataclasses import replace

import pytest

from domain.catalogue.aggregate import Bundle, Catalogue
from tests.conftest import ADMIN, restaurant_bundle


class TestCatalogue:
    def test_starts_empty_with_a_fixed_id(self):
        catalogue = Catalogue.start(ADMIN)
        assert (catalogue.departments, catalogue.bundles) == ({}, {})
        assert catalogue.id == Catalogue.start(ADMIN).id

    def test_declaring_a_department_records_it(self):
        catalogue = Catalogue.start(ADMIN)
        catalogue.collect_events()
        assert catalogue.declare_department("amr", "市场监督管理局", "Market Regulation", ADMIN)
        assert catalogue.departments == {
            "amr": {"name": "市场监督管理局", "name_en": "Market Regulation"}
        }
        [event] = catalogue.collect_events()
        assert isinstance(event, Catalogue.DepartmentDeclared)
        assert (event.code, event.actor) == ("amr", ADMIN)

    def test_declaring_an_unchanged_department_returns_false_and_records_nothing(self):
        catalogue = Catalogue.start(ADMIN)
        catalogue.declare_department("amr", "市场监督管理局", "Market Regulation", ADMIN)
        catalogue.collect_events()
        changed = catalogue.declare_department("amr", "市场监督管理局", "Market Regulation", ADMIN)
        assert changed is False
        assert catalogue.collect_events() == []

    def test_renaming_a_department_is_a_change(self):
        catalogue = Catalogue.start(ADMIN)
        catalogue.declare_department("amr", "市场监督管理局", "", ADMIN)
        assert catalogue.declare_department("amr", "市场监管局", "", ADMIN) is True
        assert catalogue.departments["amr"]["name"] == "市场监管局"

    def test_listing_a_bundle_keeps_its_latest_version(self):
        catalogue = Catalogue.start(ADMIN)
        catalogue.list_bundle("restaurant-opening", 1, ADMIN)
        catalogue.list_bundle("restaurant-opening", 2, ADMIN)
        assert catalogue.bundles == {"restaurant-opening": 2}


def renamed(name: str):
    """The restaurant definition under another name (a changed definition)."""
    return replace(restaurant_bundle(), name=name)


class TestBundle:
    def test_a_registered_bundle_has_no_version_yet(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        assert (bundle.code, bundle.latest_version) == ("restaurant-opening", 0)
        with pytest.raises(KeyError):
            bundle.definition()

    def test_the_id_follows_from_the_code(self):
        assert Bundle.register("a", ADMIN).id == Bundle.register("a", ADMIN).id
        assert Bundle.register("a", ADMIN).id != Bundle.register("b", ADMIN).id

    def test_publishing_makes_version_one(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.collect_events()
        assert bundle.publish(restaurant_bundle(), ADMIN, "首次发布") is True
        assert bundle.latest_version == 1
        assert bundle.definition() == restaurant_bundle()
        [event] = bundle.collect_events()
        assert isinstance(event, Bundle.Published)
        assert (event.version, event.actor, event.reason) == (1, ADMIN, "首次发布")
        assert event.definition == restaurant_bundle().to_dict()

    def test_publishing_an_identical_definition_returns_false_and_records_nothing(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.publish(restaurant_bundle(), ADMIN)
        bundle.collect_events()
        assert bundle.publish(restaurant_bundle(), ADMIN) is False
        assert bundle.collect_events() == []
        assert bundle.latest_version == 1

    def test_versions_are_numbered_one_two_three(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        for name in ("开餐馆一件事", "开饭店一件事", "开餐厅一件事"):
            bundle.publish(renamed(name), ADMIN)
        assert [e.version for e in bundle.collect_events()[1:]] == [1, 2, 3]
        assert bundle.latest_version == 3

    def test_an_old_version_is_unchanged_by_a_newer_one(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.publish(restaurant_bundle(), ADMIN)
        bundle.publish(renamed("开饭店一件事"), ADMIN)
        assert bundle.definition(1) == restaurant_bundle()
        assert bundle.definition(2).name == "开饭店一件事"
        assert bundle.definition() == bundle.definition(2)

    def test_a_definition_read_back_cannot_change_the_published_one(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.publish(restaurant_bundle(), ADMIN)
        bundle.definition(1).baseline["trips"] = 99  # a mapping inside a frozen definition
        assert bundle.definition(1) == restaurant_bundle()

    def test_republishing_an_older_definition_makes_a_new_version(self):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.publish(restaurant_bundle(), ADMIN)
        bundle.publish(renamed("开饭店一件事"), ADMIN)
        assert bundle.publish(restaurant_bundle(), ADMIN) is True
        assert bundle.latest_version == 3
        assert bundle.definition(3) == bundle.definition(1)

    @pytest.mark.parametrize("version", [3, -1])
    def test_a_version_not_published_is_not_found(self, version):
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.publish(restaurant_bundle(), ADMIN)
        bundle.publish(renamed("开饭店一件事"), ADMIN)
        with pytest.raises(KeyError):
            bundle.definition(version)

    def test_version_zero_is_not_a_version(self):
        # Versions count from 1; asking for 0 must not quietly answer with the latest one.
        bundle = Bundle.register("restaurant-opening", ADMIN)
        bundle.publish(restaurant_bundle(), ADMIN)
        bundle.publish(renamed("开饭店一件事"), ADMIN)
        with pytest.raises(KeyError):
            bundle.definition(0)
