"""Creating users and signing in."""

from __future__ import annotations

import pytest

from application.common.errors import AlreadyExists, InvalidInput
from domain.shared.errors import DomainError
from domain.shared.values import Actor, Role
from domain.users.aggregate import User
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


# Signing in takes the same work whether the user exists or not ------------------------------------
class CountingHasher:
    """The real hasher, counting how often it verifies a password."""

    def __init__(self, hasher):
        self.hasher, self.verified = hasher, 0

    def hash(self, password):
        return self.hasher.hash(password)

    def verify(self, password_hash, password):
        self.verified += 1
        return self.hasher.verify(password_hash, password)


def test_an_unknown_or_disabled_user_costs_one_password_verification_like_a_known_one(services):
    services.users.add_user(ADMIN, "li", "correct horse", "intake")
    services.users.add_user(ADMIN, "wang", "correct horse", "intake")
    services.users.disable(ADMIN, "wang", "left")
    counting = services.users.hasher = CountingHasher(services.users.hasher)
    for username, password in (("li", "wrong password"), ("nobody", "correct horse"), ("wang", "correct horse"),
                               ("li", "correct horse")):
        counting.verified = 0
        services.users.authenticate(username, password)
        assert counting.verified == 1, username


# The password rule --------------------------------------------------------------------------------
@pytest.mark.parametrize("password, words", [
    ("password", "at least 10 characters"),
    ("12345678", "at least 10 characters"),
    ("1234567890", "common"),
    ("Password123", "common"),
    ("qwertyuiop!", "common"),
    ("aaaaaaaaaaaa", "one character"),
    ("abababababab", "different characters"),
    ("abcdefghijk", "sequence"),
    ("1234512345", "block repeated"),
    ("qwert!qwert!", "block repeated"),
    ("123password", "common"),
    ("!!password!!", "common"),
    ("my-name-is-wang-li", "username"),
    ("ＷＡＮＧ-Ｌｉ-2026-x", "username"),  # the username in full-width capitals is still the username
])
def test_weak_passwords_are_refused_with_the_reason_in_chinese_and_english(services, password, words):
    with pytest.raises(InvalidInput) as error:
        services.users.add_user(ADMIN, "wang-li", password, "intake")
    [message] = error.value.fields["password"]
    assert words in message and "密码" in message
    assert services.users.recorder.max_notification_id() is None


@pytest.mark.parametrize("password", ["onething-demo", "correct horse", "长城-黄河-2026"])
def test_passwords_that_pass_the_rule(services, password):
    services.users.add_user(ADMIN, "wang-li", password, "intake")
    assert services.users.authenticate("wang-li", password) is not None


# Look-alike usernames -----------------------------------------------------------------------------
@pytest.mark.parametrize("look_alike", ["Window1", "WINDOW1", "ｗｉｎｄｏｗ１", "window１"])
def test_a_username_that_looks_like_a_taken_one_is_refused(services, look_alike):
    services.users.add_user(ADMIN, "window1", "correct horse", "intake")
    before = services.users.recorder.max_notification_id()
    with pytest.raises(AlreadyExists):
        services.users.add_user(ADMIN, look_alike, "correct horse", "intake")
    assert services.users.recorder.max_notification_id() == before


@pytest.mark.parametrize("look_alike", ["аdmin", "αdmin", "ad\u200bmin", "wang li", "李雷", "-admin"])
def test_a_new_username_outside_ascii_letters_digits_and_dot_dash_underscore_is_refused(services, look_alike):
    services.users.add_user(ADMIN, "admin", "correct horse", "admin")
    before = services.users.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as error:
        services.users.add_user(ADMIN, look_alike, "correct horse", "intake")
    [message] = error.value.fields["username"]
    assert "a-z, 0-9" in message and "用户名" in message
    assert services.users.recorder.max_notification_id() == before


@pytest.mark.parametrize("name", ["a", "wang.li", "wang_li-2", "9lives", "x" * 64])
def test_usernames_of_ascii_letters_digits_and_dot_dash_underscore_are_accepted(services, name):
    services.users.add_user(ADMIN, name, "correct horse", "intake")
    assert services.users.authenticate(name, "correct horse") == Actor(name, Role.INTAKE)


def test_a_user_stored_by_an_earlier_release_under_a_non_ascii_name_still_loads_and_signs_in(services):
    legacy = User.register("李雷", Role.INTAKE, None, services.users.hasher.hash("correct horse"), ADMIN)
    services.users.save(legacy)
    assert services.users.user("李雷").username == "李雷"
    assert services.users.authenticate("李雷", "correct horse") == Actor("李雷", Role.INTAKE)


def test_new_usernames_are_written_in_their_canonical_form(services):
    with pytest.raises(InvalidInput) as error:
        services.users.add_user(ADMIN, "Wang", "correct horse", "intake")
    assert "wang" in error.value.fields["username"][0]
    assert services.users.recorder.max_notification_id() is None


def test_signing_in_accepts_the_username_in_another_width_or_case(services):
    services.users.add_user(ADMIN, "window1", "correct horse", "intake")
    assert services.users.authenticate("ＷＩＮＤＯＷ１", "correct horse") == Actor("window1", Role.INTAKE)


def test_a_user_stored_by_an_earlier_release_under_a_mixed_case_name_still_loads_and_signs_in(services):
    legacy = User.register("Li", Role.INTAKE, None, services.users.hasher.hash("correct horse"), ADMIN)
    services.users.save(legacy)  # earlier releases stored names as typed
    assert services.users.user("Li").username == "Li"
    assert services.users.authenticate("Li", "correct horse") == Actor("Li", Role.INTAKE)
    with pytest.raises(AlreadyExists):
        services.users.add_user(ADMIN, "li", "correct horse", "intake")


# Disabling admins ---------------------------------------------------------------------------------
def test_an_admin_cannot_disable_themselves(services):
    services.users.add_user(ADMIN, "root1", "correct horse", "admin")
    services.users.add_user(ADMIN, "root2", "correct horse", "admin")
    with pytest.raises(DomainError) as error:
        services.users.disable(Actor("root1", Role.ADMIN), "root1", "going away")
    assert error.value.code == "cannot_disable_self"
    assert not services.users.user("root1").disabled


def test_the_last_enabled_admin_cannot_be_disabled(services):
    services.users.add_user(ADMIN, "root1", "correct horse", "admin")
    services.users.add_user(ADMIN, "root2", "correct horse", "admin")
    services.users.disable(Actor("root1", Role.ADMIN), "root2", "left")  # one admin left
    with pytest.raises(DomainError) as error:
        services.users.disable(ADMIN, "root1", "by mistake")  # from the command line
    assert error.value.code == "last_admin"
    assert not services.users.user("root1").disabled
    services.users.add_user(ADMIN, "helper", "correct horse", "intake")
    services.users.disable(Actor("root1", Role.ADMIN), "helper", "others may go")


def test_two_admins_disabling_each_other_at_once_leave_one_enabled(services):
    services.users.add_user(ADMIN, "root1", "correct horse", "admin")
    services.users.add_user(ADMIN, "root2", "correct horse", "admin")
    root1, root2 = Actor("root1", Role.ADMIN), Actor("root2", Role.ADMIN)
    count, interleaved = services.users._enabled_admins, []

    def count_then_let_the_other_in() -> int:  # root2 acts between root1's count and root1's save
        counted = count()
        if not interleaved:
            interleaved.append(True)
            services.users.disable(root2, "root1", "at the same moment")
        return counted

    services.users._enabled_admins = count_then_let_the_other_in
    with pytest.raises(DomainError) as error:
        services.users.disable(root1, "root2", "at the same moment")
    assert error.value.code == "last_admin"
    assert services.users.user("root1").disabled and not services.users.user("root2").disabled


def test_two_enables_of_one_user_at_once_record_one_enabling_and_both_succeed(services):
    services.users.add_user(ADMIN, "li", "correct horse", "intake")
    services.users.disable(ADMIN, "li", "on leave")
    load, interleaved = services.users.user, []

    def load_then_let_the_other_in(username: str) -> User:  # another admin enables between this load and save
        user = load(username)
        if not interleaved:
            interleaved.append(True)
            services.users.enable(ADMIN, "li", "back from leave")
        return user

    services.users.user = load_then_let_the_other_in
    services.users.enable(ADMIN, "li", "back from leave")  # overtaken: tried again on the new state, a no-op
    services.users.user = load
    enabled = [e for e in services.users.recorder.select_events(load("li").id) if e.topic.endswith("Enabled")]
    assert len(enabled) == 1 and not load("li").disabled


# Changing one's own password ----------------------------------------------------------------------
def test_a_user_changes_their_own_password_recorded_with_who_when_and_why(services):
    services.users.add_user(ADMIN, "li", "correct horse", "intake")
    li = Actor("li", Role.INTAKE)
    services.users.change_password(li, "correct horse", "battery staple 9")
    assert services.users.authenticate("li", "battery staple 9") == li
    assert services.users.authenticate("li", "correct horse") is None
    [*_, last] = services.users.recorder.select_events(services.users.user("li").id)
    changed = services.users.mapper.to_domain_event(last)
    assert isinstance(changed, User.PasswordChanged) and changed.actor == li and changed.reason
    assert changed.timestamp is not None


@pytest.mark.parametrize("current, new, field", [
    ("wrong horse", "battery staple 9", "current_password"),
    ("correct horse", "short", "new_password"),
    ("correct horse", "correct horse", "new_password"),  # the same password again
])
def test_a_refused_password_change_writes_nothing(services, current, new, field):
    services.users.add_user(ADMIN, "li", "correct horse", "intake")
    before = services.users.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as error:
        services.users.change_password(Actor("li", Role.INTAKE), current, new)
    assert field in error.value.fields
    assert services.users.recorder.max_notification_id() == before
