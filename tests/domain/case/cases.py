"""Builders shared by the domain tests: restaurant cases at the stages the tests start from.

The restaurant bundle (tests/conftest.py) has two items: ``business-licence`` (amr, 1 working
day, needs ``id-card``) and ``food-permit`` (amr-food, 5 working days, needs ``id-card`` and the
excusable ``floor-plan``, waits for the licence, needs a video inspection, allows commitment).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef, ItemDef, MaterialDef, OutputDef
from domain.shared.errors import DomainError
from domain.shared.values import Applicant, Channel
from domain.shared.working_days import WorkClock
from tests.conftest import AMR, FOOD, INTAKE, VALID_CODE, restaurant_bundle, restaurant_file, weekdays

MONDAY = date(2026, 3, 2)
CLOCK = WorkClock(MONDAY, weekdays)  # approvals on MONDAY (clocks they release start then)
DIGEST = "ab" * 32
LICENCE, FOOD_PERMIT = "business-licence", "food-permit"
APPLICANT = Applicant("某某餐饮有限公司", VALID_CODE)

# A calendar with a holiday on a Monday and a Saturday made a working day (调休).
HOLIDAY = date(2026, 4, 6)
WORKING_SATURDAY = date(2026, 4, 11)


def calendar(day: date) -> bool:
    """Monday to Friday, except HOLIDAY, plus WORKING_SATURDAY."""
    if day == WORKING_SATURDAY:
        return True
    return day.weekday() < 5 and day != HOLIDAY


def open_case(bundle: BundleDef | None = None, number: str = "N-1") -> Case:
    """Open a case at the window on MONDAY (the restaurant bundle unless told)."""
    return Case.open(
        number=number, bundle=bundle or restaurant_bundle(), bundle_version=1,
        applicant=APPLICANT, channel=Channel.WINDOW, opened_on=MONDAY, actor=INTAKE,
    )


def submit(case: Case, *keys: str) -> None:
    """Submit each material as a PDF."""
    for key in keys:
        case.submit_material(key, f"{key}.pdf", DIGEST, INTAKE)


def in_review(number: str = "N-1", bundle: BundleDef | None = None) -> Case:
    """A restaurant case (or one of a variant ``bundle``) with both materials and both items accepted on
    MONDAY."""
    case = open_case(bundle, number=number)
    submit(case, "id-card", "floor-plan")
    case.accept_item(LICENCE, MONDAY, weekdays, AMR)
    case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
    return case


def licence_issued(number: str = "N-1", bundle: BundleDef | None = None) -> Case:
    """In review, with the business licence approved (which issues its certificate, held)."""
    case = in_review(number, bundle)
    case.approve_item(LICENCE, AMR, clock=CLOCK)
    return case


def completed(number: str = "N-1") -> Case:
    """A restaurant case with both items approved (and so issued): completed."""
    case = licence_issued(number)
    case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
    case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
    return case


def issued_later_bundle(*codes: str) -> BundleDef:
    """The restaurant bundle with the outputs of the items ``codes`` marked ``issued_on_approval: false``
    (a physical product issued by a separate step after approval)."""
    data = restaurant_file()["bundles"][0]
    for item in data["items"]:
        if item["code"] in codes:
            for output in item["outputs"]:
                output["issued_on_approval"] = False
    return BundleDef.from_dict(data)


def shop_bundle() -> BundleDef:
    """A bundle with an essential licence and a non-essential sign filing that issues nothing."""
    return BundleDef(
        code="shop", name="开小店一件事",
        materials=(MaterialDef("id-card", "身份证明"),),
        items=(
            ItemDef("licence", "营业执照", "amr", 1, materials=("id-card",),
                    outputs=(OutputDef("business-licence", "营业执照"),)),
            ItemDef("sign", "户外招牌设置备案", "city", 3, essential=False),
        ),
    )


def shop_in_review() -> Case:
    """A shop case with both items accepted on MONDAY."""
    case = open_case(shop_bundle(), number="S-1")
    submit(case, "id-card")
    case.accept_item("licence", MONDAY, weekdays, AMR)
    case.accept_item("sign", MONDAY, weekdays, AMR)
    return case


@contextmanager
def refused(case: Case, error: type[DomainError]) -> Iterator[None]:
    """Expect the block to raise ``error`` and to record no event."""
    before = list(case.pending_events)
    version = case.version
    with pytest.raises(error):
        yield
    assert case.pending_events == before
    assert case.version == version
