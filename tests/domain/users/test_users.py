"""Users: roles, the reviewer's department, and the actor a user acts as."""

import pytest

from domain.shared.errors import InvalidValue
from domain.shared.values import Actor, Role
from domain.users.aggregate import CannotDisableSelf, LastAdmin, User, canonical_username
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


def test_a_password_change_makes_earlier_tokens_and_sessions_invalid():
    user = User.register("window1", Role.INTAKE, None, "old-hash", ADMIN)
    user.change_password("new-hash", user.as_actor(), "changed their own password")
    [*_, event] = user.collect_events()
    assert user.tokens_valid_after == event.timestamp
    assert event.reason == "changed their own password"


@pytest.mark.parametrize("name, canonical", [
    ("window1", "window1"), ("Window1", "window1"), ("ＷＩＮＤＯＷ１", "window1"), ("ｗｉｎｄｏｗ１", "window1"),
    ("Straße", "strasse"), ("reviewer-amr", "reviewer-amr"), ("王受理", "王受理"),
])
def test_usernames_compare_in_one_canonical_form(name, canonical):
    assert canonical_username(name) == canonical


def test_an_admin_may_not_disable_themselves():
    user = User.register("root", Role.ADMIN, None, "hash", ADMIN)
    with pytest.raises(CannotDisableSelf):
        user.disable(Actor("root", Role.ADMIN), "leaving", enabled_admins=2)
    assert not user.disabled


def test_the_last_enabled_admin_may_not_be_disabled_but_other_users_may():
    root = User.register("root", Role.ADMIN, None, "hash", ADMIN)
    with pytest.raises(LastAdmin):
        root.disable(ADMIN, "by mistake", enabled_admins=1)
    clerk = User.register("clerk", Role.INTAKE, None, "hash", ADMIN)
    clerk.disable(ADMIN, "left", enabled_admins=1)
    assert clerk.disabled and not root.disabled
