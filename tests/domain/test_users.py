"""Users: roles, the reviewer's department, and the actor a user acts as."""

import pytest

from domain.errors import InvalidValue
from domain.users import User
from domain.values import Actor, Role
from tests.conftest import ADMIN


class TestRegister:
    def test_a_reviewer_acts_for_their_department(self):
        user = User.register("li-amr", Role.REVIEWER, "amr", "hash", ADMIN, display_name="李审批")
        assert user.as_actor() == Actor("li-amr", Role.REVIEWER, "amr")
        assert user.display_name == "李审批"

    @pytest.mark.parametrize("department", [None, ""])
    def test_a_reviewer_without_a_department_is_refused(self, department):
        with pytest.raises(InvalidValue):
            User.register("li", Role.REVIEWER, department, "hash", ADMIN)

    @pytest.mark.parametrize("role", [Role.INTAKE, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN])
    def test_other_roles_need_no_department(self, role):
        user = User.register("someone", role, None, "hash", ADMIN)
        assert user.as_actor() == Actor("someone", role, None)

    def test_the_display_name_defaults_to_the_username(self):
        assert User.register("window1", Role.INTAKE, None, "hash", ADMIN).display_name == "window1"

    def test_registration_records_who_created_the_user(self):
        [event] = User.register("window1", Role.INTAKE, None, "hash", ADMIN).collect_events()
        assert isinstance(event, User.Registered)
        assert (event.username, event.role, event.actor) == ("window1", Role.INTAKE, ADMIN)

    def test_the_username_fixes_the_id(self):
        first = User.register("window1", Role.INTAKE, None, "h1", ADMIN)
        assert first.id == User.register("window1", Role.ADMIN, None, "h2", ADMIN).id
        assert first.id != User.register("window2", Role.INTAKE, None, "h1", ADMIN).id


def test_changing_the_password_keeps_only_the_new_hash():
    user = User.register("window1", Role.INTAKE, None, "old-hash", ADMIN)
    user.collect_events()
    user.change_password("new-hash", user.as_actor())
    assert user.password_hash == "new-hash"
    [event] = user.collect_events()
    assert isinstance(event, User.PasswordChanged)
    assert (event.password_hash, event.actor.user_id) == ("new-hash", "window1")
