"""UI sessions are kept on the server: logout, a password change, disabling and idleness end them everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from tests.conftest import ADMIN, make_services, restaurant_file
from tests.web.conftest import PASSWORD, USERS
from tests.web.ui.conftest import DISPLAY_NAMES, make_ui

NEW_PASSWORD = "a-fresh-passphrase-7"


def copy_of_cookie(source, target) -> None:
    """Give ``target`` the session cookie ``source`` holds now (as a thief who copied it would)."""
    target.client.set_cookie("session", source.client.get_cookie("session").value)


def signed_in(ui) -> bool:
    return ui.client.get("/home").status_code == 200


@pytest.fixture
def two_processes(sqlite_url):
    """Two app instances, each with its own services, on one database file (as two server processes)."""
    first = make_services(sqlite_url)
    first.catalogue.publish_file(restaurant_file(), ADMIN)
    for username, (role, department) in USERS.items():
        first.users.add_user(ADMIN, username, PASSWORD, role, department, DISPLAY_NAMES.get(username, ""))
    first.runner.catch_up()
    second = make_services(sqlite_url)
    return make_ui(first), make_ui(second)


def test_logout_ends_the_session_for_a_copied_cookie(ui):
    ui.login_as("reviewer")
    thief = make_ui(ui.services)
    copy_of_cookie(ui, thief)
    assert signed_in(thief)  # the copy works while the session stands …
    ui.logout()
    assert not signed_in(thief)  # … and not after signing out
    assert thief.client.get("/home").headers["Location"] == "/login?next=/home"


def test_logout_in_one_process_ends_the_session_in_another(two_processes):
    first, second = two_processes
    first.login_as("reviewer")
    copy_of_cookie(first, second)
    assert signed_in(second)
    first.logout()
    assert not signed_in(second)


def test_the_cookie_carries_a_random_session_id_and_the_database_only_its_hash(ui):
    ui.login_as("reviewer")
    with ui.app.test_request_context():
        serializer = ui.app.session_interface.get_signing_serializer(ui.app)
        content = serializer.loads(ui.client.get_cookie("session").value)
    assert "amr" not in repr(content)  # no username, no password fingerprint
    session_id = content["_user_id"]
    assert len(session_id) >= 40
    rows = ui.services.sessions.rows()
    assert len(rows) == 1 and session_id not in repr(rows)
    assert rows[0]["username"] == "amr"


def test_a_session_idle_longer_than_the_limit_ends(ui):
    idle = ui.services.settings.session_idle_minutes
    with freeze_time(datetime.now(UTC)) as clock:
        ui.login_as("reviewer")
        clock.tick(timedelta(minutes=idle - 1))
        assert signed_in(ui)  # used within the limit: it stands, and counts from now
        clock.tick(timedelta(minutes=idle - 1))
        assert signed_in(ui)
        clock.tick(timedelta(minutes=idle + 1))
        assert not signed_in(ui)


def test_the_last_use_is_written_at_most_once_a_minute(ui):
    with freeze_time(datetime.now(UTC)) as clock:
        ui.login_as("reviewer")
        first = ui.services.sessions.rows()[0]["last_seen"]
        clock.tick(timedelta(seconds=30))
        assert signed_in(ui) and signed_in(ui)
        assert ui.services.sessions.rows()[0]["last_seen"] == first  # no write on every request
        clock.tick(timedelta(seconds=45))
        assert signed_in(ui)
        assert ui.services.sessions.rows()[0]["last_seen"] > first


def test_disabling_a_user_ends_their_sessions_everywhere(two_processes):
    first, second = two_processes
    first.login_as("reviewer")
    second.login_as("reviewer")
    first.services.users.disable(ADMIN, "amr", "left the bureau")
    assert not signed_in(first) and not signed_in(second)
    assert first.services.sessions.rows() == []


def test_a_session_still_ends_after_the_token_lifetime(ui):
    hours = ui.services.settings.token_hours
    with freeze_time(datetime.now(UTC)) as clock:
        ui.login_as("reviewer")
        for _ in range(int(hours * 60 / 20) + 1):  # in use all along, never idle
            clock.tick(timedelta(minutes=20))
            if not signed_in(ui):
                break
        assert not signed_in(ui)


# Changing one's own password ----------------------------------------------------------------------
def change_password(ui, current: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None):
    token = ui.csrf_token("/account/password")
    return ui.post("/account/password", {"current_password": current, "new_password": new,
                                         "confirm_password": confirm if confirm is not None else new,
                                         "csrf_token": token})


def test_changing_the_password_keeps_this_session_and_ends_the_others(two_processes):
    first, second = two_processes
    first.login_as("reviewer")
    second.login_as("reviewer")
    response = change_password(first)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert "密码已修改" in first.page("/home")  # this session goes on …
    assert not signed_in(second)  # … the other one ended
    second.logout()
    assert second.login("amr", PASSWORD).status_code == 422
    assert second.login("amr", NEW_PASSWORD).status_code == 302


def test_the_password_page_is_linked_from_the_user_name_and_needs_a_signed_in_user(ui):
    assert ui.client.get("/account/password").headers["Location"] == "/login?next=/account/password"
    ui.login_as("admin")
    assert 'href="/account/password"' in ui.page("/home")
    page = ui.page("/account/password")
    assert "修改密码" in page and "当前密码" in page and 'name="csrf_token"' in page


def test_the_password_form_needs_its_csrf_token(ui):
    ui.login_as("reviewer")
    response = ui.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                             "confirm_password": NEW_PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert ui.services.users.authenticate("amr", PASSWORD) is not None


@pytest.mark.parametrize("current, new, confirm, field, words", [
    ("wrong-password-1", NEW_PASSWORD, None, "current_password", "当前密码不正确"),
    (PASSWORD, "short", None, "new_password", "至少 10 个字符"),
    (PASSWORD, "password123", None, "new_password", "常见"),
    (PASSWORD, "amr-amr-amr-1", None, "new_password", "用户名"),
    (PASSWORD, NEW_PASSWORD, "something-else-1", "confirm_password", "两次输入的新密码不一致"),
])
def test_a_refused_password_change_names_the_field_in_words_and_changes_nothing(ui, current, new, confirm, field,
                                                                                  words):
    ui.login_as("reviewer")
    before = ui.services.runner.total_events()
    response = change_password(ui, current, new, confirm)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="field-{field}-error"' in page and words in page
    assert ui.services.runner.total_events() == before
    assert signed_in(ui)


def test_the_password_page_speaks_english_too(ui):
    ui.client.get("/lang/en")
    ui.login_as("reviewer")
    assert "Change password" in ui.page("/account/password")
    page = change_password(ui, PASSWORD, "short").get_data(as_text=True)
    assert "at least 10 characters" in page


# Sign-in limits in the UI -------------------------------------------------------------------------
def test_too_many_failures_for_one_account_from_one_address_show_the_sign_in_page_with_a_message(ui_users):
    ui = make_ui(ui_users, RATELIMIT_ENABLED=False, SIGN_IN_LIMITS_ENABLED=True)  # the database's limit alone
    limit = ui.services.sign_ins.pair_limit
    for _ in range(limit):
        assert ui.login("amr", "wrong-password").status_code == 422
    response = ui.login("amr")  # the right password, but too late
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "登录失败次数过多" in page and 'name="username"' in page
    assert ui.client.get("/home").status_code == 302


def test_guessing_the_current_password_on_the_password_page_is_limited(ui_users):
    ui = make_ui(ui_users, RATELIMIT_ENABLED=False, SIGN_IN_LIMITS_ENABLED=True)
    ui.login_as("reviewer")
    for _ in range(ui.services.sign_ins.pair_limit):
        assert change_password(ui, "not-the-password").status_code == 422
    response = change_password(ui)  # the right current password, too late
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert 'name="current_password"' in response.get_data(as_text=True)
    assert ui_users.users.authenticate("amr", PASSWORD) is not None  # nothing changed
