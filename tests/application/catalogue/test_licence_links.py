"""A material may name the e-licence types that satisfy it: the sample catalogue's links point at licences some
bundle really issues, and a bundle file's links are checked like any field."""

from __future__ import annotations

import pytest

from application.catalogue.bundle_file import parse_bundle_file
from application.common.errors import InvalidInput
from infrastructure.catalogue.files import sample_catalogue
from tests.conftest import ADMIN, restaurant_file


def test_every_licence_type_a_sample_material_takes_is_issued_by_some_sample_bundle():
    issued, wanted = set(), {}
    for data in sample_catalogue().values():
        for bundle in data["bundles"]:
            issued |= {o["type"] for item in bundle["items"] for o in item.get("outputs", ())}
            for material in bundle["materials"]:
                for kind in material.get("licence_types", ()):
                    wanted[(bundle["code"], material["key"])] = kind
    assert wanted[("foreign-talent", "employer-licence")] == "business-licence"
    assert wanted[("building-one-certificate", "construction-permit-copy")] == "construction-permit"
    assert set(wanted.values()) <= issued


def test_a_licence_type_that_is_not_a_code_is_refused_naming_the_field(services):
    data = restaurant_file()
    data["bundles"][0]["materials"][0]["licence_types"] = ["Business Licence!"]
    with pytest.raises(InvalidInput) as refused:
        services.catalogue.publish_file(data, ADMIN)
    assert "licence_types" in str(refused.value)


def test_an_output_issued_later_than_approval_is_declared_in_the_bundle_file():
    data = restaurant_file()
    data["bundles"][0]["items"][0]["outputs"][0].update(issued_on_approval=False, valid_years=5)
    (bundle,) = parse_bundle_file(data)[1]
    output = bundle.items[0].outputs[0]
    assert (output.issued_on_approval, output.valid_years) == (False, 5)
