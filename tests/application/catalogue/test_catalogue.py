"""Publishing bundle files: all or nothing, versioned, with errors that name bundle and field."""

from __future__ import annotations

import pytest

from application.common.errors import BundleNotFound, InvalidInput
from domain.shared.errors import InvalidBundle
from tests.conftest import ADMIN, make_services, restaurant_file, sample_file


@pytest.fixture
def empty(sqlite_url):
    return make_services(sqlite_url)


def broken(change):
    data = restaurant_file()
    change(data["bundles"][0])
    return data


BAD_FILES = {
    "unknown department": (broken(lambda b: b["items"][0].update(department="nowhere")),
                           "items[business-licence].department"),
    "dangling prerequisite": (broken(lambda b: b["items"][1].update(prerequisites=["ghost"])),
                              "items[food-permit].prerequisites"),
    "prerequisite cycle": (broken(lambda b: b["items"][0].update(prerequisites=["food-permit"])),
                           "items.prerequisites"),
    "undeclared material": (broken(lambda b: b["items"][0].update(materials=["passport"])),
                            "items[business-licence].materials"),
    "zero time limit": (broken(lambda b: b["items"][0].update(time_limit_days=0)),
                        "items[business-licence].time_limit_days"),
    "negative time limit": (broken(lambda b: b["items"][1].update(time_limit_days=-2)),
                            "items[food-permit].time_limit_days"),
    "time limit as text": (broken(lambda b: b["items"][1].update(time_limit_days="5")),
                           "items[food-permit].time_limit_days"),
    "missing item code": (broken(lambda b: b["items"][1].pop("code")), "items[1].code"),
    "misspelt field": (broken(lambda b: b["items"][0].update(time_limit_day=1)),
                       "items[business-licence].time_limit_day"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_an_invalid_bundle_names_bundle_and_field_and_publishes_nothing(empty, case):
    data, field = BAD_FILES[case]
    with pytest.raises((InvalidInput, InvalidBundle)) as error:
        empty.catalogue.publish_file(data, ADMIN)
    assert "restaurant-opening" in str(error.value)
    assert field in str(error.value)
    assert empty.catalogue.recorder.max_notification_id() is None
    assert empty.catalogue.latest_versions() == {}


def test_one_bad_bundle_stops_the_good_ones_in_the_same_file(empty):
    data = restaurant_file()
    good = sample_file("foreign-talent.json")
    data["departments"] += good["departments"]
    data["bundles"].insert(0, good["bundles"][0])
    data["bundles"][1]["items"][0]["department"] = "nowhere"
    with pytest.raises(InvalidBundle):
        empty.catalogue.publish_file(data, ADMIN)
    assert empty.catalogue.latest_versions() == {}
    assert empty.catalogue.departments() == {}


def test_a_file_that_is_not_an_object_is_refused(empty):
    with pytest.raises(InvalidInput):
        empty.catalogue.publish_file(["not", "a", "file"], ADMIN)


def test_loading_the_same_file_twice_publishes_no_new_version(empty):
    assert empty.catalogue.publish_file(restaurant_file(), ADMIN).published == {"restaurant-opening": 1}
    report = empty.catalogue.publish_file(restaurant_file(), ADMIN)
    assert report.published == {} and report.unchanged == ["restaurant-opening"]


def test_a_changed_definition_becomes_a_new_version_and_the_old_one_stays(empty):
    empty.catalogue.publish_file(restaurant_file(), ADMIN)
    changed = restaurant_file()
    changed["bundles"][0]["name"] = "开餐馆（新版）"
    assert empty.catalogue.publish_file(changed, ADMIN).published == {"restaurant-opening": 2}
    assert empty.catalogue.definition("restaurant-opening", 1)[0].name == "开餐馆一件事"
    assert empty.catalogue.definition("restaurant-opening")[0].name == "开餐馆（新版）"
    with pytest.raises(BundleNotFound):
        empty.catalogue.definition("restaurant-opening", 3)


def test_a_department_known_from_an_earlier_file_may_be_used(empty):
    empty.catalogue.publish_file(restaurant_file(), ADMIN)
    later = restaurant_file()
    later["departments"] = []
    later["bundles"][0]["code"] = "restaurant-lite"
    assert empty.catalogue.publish_file(later, ADMIN).published == {"restaurant-lite": 1}


def test_every_shipped_sample_file_publishes(empty):
    from infrastructure.catalogue.files import sample_catalogue

    for data in sample_catalogue().values():
        empty.catalogue.publish_file(data, ADMIN)
    assert len(empty.catalogue.latest_versions()) == 6
    land, _ = empty.catalogue.definition("industrial-land-use")
    assert len(land.items) == 53 and len(land.stages) == 3
    assert len({i.category for i in land.items}) == 7
