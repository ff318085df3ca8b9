"""Creating users and signing in."""

from __future__ import annotations

import pytest

from application.errors import AlreadyExists, InvalidInput
from domain.values import Actor, Role
from tests.conftest import ADMIN


def test_a_reviewer_signs_in_as_an_actor_of_their_department(services):
    services.users.add_user(ADMIN, "li", "correct horse", "reviewer", "amr")
    assert services.users.authenticate("li", "correct horse") == Actor("li", Role.REVIEWER, "amr")
    assert services.users.authenticate("li", "wrong password") is None
    assert services.users.authenticate("nobody", "correct horse") is None


def test_only_the_password_hash_is_stored(services):
    services.users.add_user(ADMIN, "li", "correct horse", "intake")
    stored = b"".join(e.state for e in services.users.recorder.select_events(
        services.users.user("li").id))
    assert b"correct horse" not in stored
    assert b"argon2id" in stored


def test_a_username_is_taken_once(services):
    services.users.add_user(ADMIN, "li", "correct horse", "intake")
    with pytest.raises(AlreadyExists):
        services.users.add_user(ADMIN, "li", "another password", "auditor")


@pytest.mark.parametrize("username, password, role, department, field", [
    ("li", "short", "intake", None, "password"),
    ("", "long enough", "intake", None, "username"),
    ("li", "long enough", "wizard", None, "role"),
    ("li", "long enough", "reviewer", None, "department"),
    ("li", "long enough", "reviewer", "nowhere", "department"),
])
def test_bad_user_details_are_refused_by_field(services, username, password, role, department, field):
    with pytest.raises(InvalidInput) as error:
        services.users.add_user(ADMIN, username, password, role, department)
    assert field in error.value.fields
    assert services.users.recorder.max_notification_id() is None
