"""A notification's id never changes: a rebuild makes the same ids, and deliveries already sent find their
notification by it (``Delivery.Queued.notification``). It is a UUID 5 of the case, the event's position and
the kind, in the URL namespace, as the first release made it."""

from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from application.projections.notifications import notification_id


@pytest.mark.parametrize("case_id, position, kind", [
    ("0b3f4c1e-5d2a-5b7e-9f10-2a4c6e8d0b1f", 1, "accepted"),
    ("0b3f4c1e-5d2a-5b7e-9f10-2a4c6e8d0b1f", 27, "licences_ready"),
    ("7d9a0e22-41c3-5f6b-8a2d-93e1f0c4b5a6", 123456, "decided"),
    ("7d9a0e22-41c3-5f6b-8a2d-93e1f0c4b5a6", 4, "通知"),
])
def test_ids_are_the_uuid5_of_case_position_and_kind(case_id: str, position: int, kind: str) -> None:
    expected = uuid5(NAMESPACE_URL, f"https://onething.invalid/notification/{case_id}/{position}/{kind}")
    made = notification_id(case_id, position, kind)
    assert made == str(expected)
    assert UUID(made).version == 5


def test_an_id_made_by_the_first_release_is_made_again() -> None:
    assert notification_id("0b3f4c1e-5d2a-5b7e-9f10-2a4c6e8d0b1f", 1, "accepted") == \
        "ade6c14e-ef2f-5c08-8d09-d29527daa7e8"
