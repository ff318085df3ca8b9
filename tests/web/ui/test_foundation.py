"""The UI's foundation: signing in and out, CSRF, cookies, languages, roles, public pages, error pages."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Blueprint, render_template_string

from domain.shared.values import Role
from domain.shared.working_days import working_days_between
from tests.conftest import ADMIN, VALID_CODE, weekdays
from tests.web.api.test_cases import completed_case, item
from tests.web.ui.conftest import make_ui
from web.services import Settings
from web.ui.deadlines import deadline_colour
from web.ui.nav import nav_link
from web.ui.qr import qr_svg
from web.ui.session import requires

WRONG_PASSWORD = "用户名或密码不正确"
TRACEBACK = re.compile(r"Traceback|File \"/|\.py\", line")

# A page for reviewers only, standing in for the role pages built on this foundation.
review = Blueprint("ui_test_review", __name__)
nav_link(review, "ui_test_review.queue", "Review queue (test)", Role.REVIEWER, order=10)


@review.get("/test/queue")
@requires(Role.REVIEWER)
def queue() -> str:
    return "the review queue"


@pytest.fixture
def guarded(ui):
    """The UI with the reviewers' test page registered."""
    ui.app.register_blueprint(review)
    return ui


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Signing in and out -------------------------------------------------------------------------------
def test_the_sign_in_page_is_in_chinese_by_default(ui):
    page = ui.page("/login")
    assert '<html lang="zh-CN">' in page and "一件事办理系统" in page and "用户名" in page and "密码" in page


def test_signing_in_goes_to_the_page_asked_for(ui):
    response = ui.login("amr", next="/home?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/home?x=1"
    assert "李审批" in ui.page("/home")


@pytest.mark.parametrize("username, password", [("amr", "wrong-password"), ("nobody", "password-for-tests")])
def test_a_failed_sign_in_says_so_next_to_the_form_without_saying_whether_the_user_exists(ui, username, password):
    response = ui.login(username, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and WRONG_PASSWORD in page and 'class="form-error"' in page
    assert not TRACEBACK.search(page) and "nobody" not in text_of(page).replace('value="nobody"', "")


def test_a_disabled_user_cannot_sign_in_and_hears_the_same_words(ui):
    ui.services.users.disable(ADMIN, "amr", "left the department")
    response = ui.login("amr")
    assert response.status_code == 422 and WRONG_PASSWORD in response.get_data(as_text=True)


def test_empty_fields_are_named_next_to_each_field(ui):
    response = ui.post("/login", {"username": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="field-username-error">请输入用户名。', page)
    assert re.search(r'id="field-password-error">请输入密码。', page)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_next_only_leads_to_paths_of_this_site(ui, target):
    response = ui.login("amr", next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_signing_out_ends_the_session(ui):
    ui.login_as("reviewer")
    response = ui.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "您已退出登录" in ui.page("/")
    assert ui.client.get("/home").status_code == 302


def test_signing_out_is_a_form_not_a_link(ui):
    ui.login_as("reviewer")
    assert ui.client.get("/logout").status_code == 405
    assert ui.client.get("/home").status_code == 200


def test_disabling_a_user_or_changing_the_password_ends_their_session(ui):
    ui.login_as("reviewer")
    ui.services.users.disable(ADMIN, "amr", "left")
    ui.services.users.enable(ADMIN, "amr", "back")  # enabled again: an old session still does not count
    assert ui.client.get("/home").headers["Location"] == "/login?next=/home"
    ui.login_as("reviewer")
    user = ui.services.users.user("amr")
    user.change_password(ui.services.users.hasher.hash("a-new-password"), ADMIN)
    ui.services.users.save(user)
    assert ui.client.get("/home").status_code == 302


# CSRF and cookies ---------------------------------------------------------------------------------
def test_a_form_without_its_csrf_token_gets_a_page_in_words(ui):
    response = ui.post("/login", {"username": "amr", "password": "password-for-tests"}, csrf=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "表单已过期" in page and not TRACEBACK.search(page)
    assert ui.post("/logout", csrf=False).status_code == 400


def test_the_json_api_needs_no_csrf_token(ui):
    response = ui.client.post("/api/v1/auth/token", json={"username": "amr", "password": "password-for-tests"})
    assert response.status_code == 200 and response.get_json()["token"]


def test_the_session_cookie_is_http_only_and_same_site(ui):
    ui.login("amr")
    cookie = ui.client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


def test_pages_may_not_be_framed_by_other_sites(ui):
    headers = ui.client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"


def test_secure_cookies_can_be_required(ui_users, monkeypatch):
    assert Settings.from_env({"ONETHING_SECURE_COOKIES": "true"}).secure_cookies
    monkeypatch.setattr(ui_users, "settings", replace(ui_users.settings, secure_cookies=True))
    secure = make_ui(ui_users)
    response = secure.client.get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


# Languages ----------------------------------------------------------------------------------------
def test_switching_to_english_changes_the_words_and_comes_back(ui):
    assert "登录" in ui.page("/login")
    response = ui.client.get("/lang/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = ui.page("/login")
    assert '<html lang="en">' in page and "Sign in" in page and "Username" in page and "登录" not in page
    ui.post("/lang/zh_Hans_CN", headers={"Referer": "http://localhost/verify"})
    assert "证照核验" in ui.page("/verify")


def test_only_known_languages_can_be_chosen(ui):
    assert ui.client.get("/lang/fr").status_code == 404
    assert ui.client.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"


def test_the_language_survives_signing_in_and_out(ui):
    ui.client.get("/lang/en")
    ui.login_as("reviewer")
    ui.logout()
    assert "Sign in" in ui.page("/login")


# Who is signed in, and which pages they may open -------------------------------------------------
def test_the_header_shows_the_user_their_role_and_department_in_words(ui):
    ui.login_as("reviewer")
    page = ui.page("/home")
    assert "李审批" in page and "审批人员" in page and "市场监督管理局" in page
    ui.client.get("/lang/en")
    page = ui.page("/home")
    assert "Reviewer" in page and "Market Regulation" in page


@pytest.mark.parametrize("role, status", [(None, 302), ("intake", 403), ("supervisor", 403), ("auditor", 403),
                                          ("admin", 403), ("reviewer", 200)])
def test_a_role_page_admits_its_role_only(guarded, role, status):
    if role:
        guarded.login_as(role)
    response = guarded.client.get("/test/queue?page=2")
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"] == "/login?next=/test/queue?page%3D2"
    if status == 403:
        page = response.get_data(as_text=True)
        assert "无权访问此页面" in page and "<html" in page and not TRACEBACK.search(page)


def test_htmx_requests_of_anonymous_users_load_the_sign_in_page_whole(guarded):
    response = guarded.client.get("/test/queue", headers={"HX-Request": "true",
                                                          "HX-Current-URL": "http://localhost/test/queue?page=3"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login?next=/test/queue?page%3D3"


def test_signed_in_users_start_on_the_first_page_of_their_role(ui):
    for role, start in (("reviewer", "/queue"), ("intake", "/desk"), ("supervisor", "/supervision"),
                        ("auditor", "/audit")):
        ui.login_as(role)
        assert ui.client.get("/").headers["Location"] == start, role
        assert f'href="{start}"' in ui.page("/home")
        ui.logout()
    ui.login_as("admin")  # no page of its own yet: the dashboard says so
    assert ui.client.get("/").headers["Location"] == "/home"
    assert "您的角色暂无可用页面" in ui.page("/home")


def test_anonymous_visitors_see_the_public_landing_page(ui):
    page = ui.page("/")
    assert "高效办成一件事" in page and 'href="/progress"' in page and 'href="/verify"' in page
    assert 'href="/login"' in page


# Public pages -------------------------------------------------------------------------------------
def test_a_genuine_certificate_is_confirmed_by_number_and_by_its_qr_address(ui):
    case = completed_case(ui.api)
    ui.services.runner.catch_up()
    number = item(case, "business-licence")["certificate"]["number"]
    page = ui.page(f"/verify?number={number}")
    assert "该证照真实有效" in page and "泉城小馆餐饮有限公司" in page and case["number"] in page
    assert "<svg" in page and "营业执照" in page
    assert "该证照真实有效" in ui.page(f"/verify/{number}")


def test_an_unknown_certificate_says_so(ui):
    page = ui.page("/verify/NO-SUCH-1", status=404)
    assert "未查到编号为 NO-SUCH-1 的证照" in page
    assert "请输入证照编号" in ui.page("/verify?number=", status=422)


def test_case_progress_needs_the_number_and_the_code_to_match(ui):
    case = ui.api.open_case()
    ui.services.runner.catch_up()
    found = ui.post("/progress", {"number": case["number"].lower(), "credit_code": VALID_CODE})
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and "营业执照" in page and "食品经营许可" in page and "市场监督管理局" in page
    assert "泉城小馆" not in page  # status and items only
    wrong_code = ui.post("/progress", {"number": case["number"], "credit_code": "91350100M000100Y43"})
    wrong_number = ui.post("/progress", {"number": "YJS20200101-XXXXXX", "credit_code": VALID_CODE})
    assert wrong_code.status_code == wrong_number.status_code == 404
    words = "未找到与该办件编号和统一社会信用代码相符的办件"
    assert words in wrong_code.get_data(as_text=True) and words in wrong_number.get_data(as_text=True)


def test_case_progress_names_a_malformed_code_next_to_its_field(ui):
    response = ui.post("/progress", {"number": "", "credit_code": "123"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="field-number-error">请输入办件编号' in page
    assert 'id="field-credit_code-error">统一社会信用代码为18位' in page


# Rate limits --------------------------------------------------------------------------------------
def test_the_eleventh_sign_in_within_a_minute_gets_a_page_saying_wait(ui):
    for _ in range(10):
        assert ui.login("amr", "wrong-password").status_code == 422
    response = ui.login("amr")
    assert response.status_code == 429 and "尝试次数过多" in response.get_data(as_text=True)


# Error pages --------------------------------------------------------------------------------------
def test_an_unknown_page_is_a_404_page_in_the_chosen_language(ui):
    page = ui.page("/no/such/page", status=404)
    assert "页面不存在" in page and "<html" in page
    ui.client.get("/lang/en")
    assert "Page not found" in ui.page("/no/such/page", status=404)


def test_the_api_and_non_browsers_keep_json_errors(ui):
    assert ui.client.get("/api/v1/certificates/NO-SUCH-1").get_json()["error"]["code"] == "not_found"
    plain = ui.client.get("/nowhere", headers={"Accept": "application/json"})
    assert plain.status_code == 404 and plain.get_json()["error"]["code"] == "not_found"


def test_a_crash_shows_a_page_in_words_and_no_stack_trace(ui_users):
    crashing = make_ui(ui_users, TESTING=False)

    @crashing.app.get("/crash")
    def crash() -> str:
        raise RuntimeError("secret internals")

    response = crashing.client.get("/crash")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统出现错误" in page
    assert "secret internals" not in page and not TRACEBACK.search(page)


# Macros and helpers -------------------------------------------------------------------------------
def test_macros_show_errors_pages_empty_states_and_badges(ui):
    template = """{% import "ui/macros.html" as m %}
    {{ m.field("code", "Code", "x<y", "Too short") }}{{ m.pagination(page) }}{{ m.empty_state("Nothing yet") }}
    {{ m.status_badge("in_review") }}{{ m.deadline_badge(due) }}"""
    page_of_list = {"page": 2, "per_page": 20, "total": 45}
    with ui.app.test_request_context("/verify?status=open&page=2"):
        html = render_template_string(template, page=page_of_list, due=date(2000, 1, 3))
    assert 'value="x&lt;y"' in html and 'aria-invalid="true"' in html and 'id="field-code-error">Too short' in html
    assert 'href="/verify?status=open&amp;page=1"' in html and 'href="/verify?status=open&amp;page=3"' in html
    assert "第 2 页，共 3 页，45 条" in html and "Nothing yet" in html
    assert "审查中" in html and 'class="due due-red"' in html and "已超期" in html


def test_qr_codes_are_inline_svg():
    svg = str(qr_svg("https://example.org/verify/ABC-01-1", title="证照"))
    assert svg.startswith("<svg") and "<title>证照</title>" in svg


MONDAY = date(2025, 3, 3)  # a week without holidays; weekdays() is Monday to Friday


def colour(due: date, today: date, started: date | None = None, paused: bool = False) -> str | None:
    return deadline_colour(due, today, lambda a, b: working_days_between(a, b, weekdays), started, paused)


@pytest.mark.parametrize("today, expected", [
    (MONDAY, "green"),  # 1 of 10 working days used
    (MONDAY + timedelta(days=8), "green"),  # 7 of 10 used, 3 left
    (MONDAY + timedelta(days=9), "yellow"),  # 8 of 10 used: 80 %, 2 left
    (MONDAY + timedelta(days=10), "yellow"),  # due on the next working day
    (MONDAY + timedelta(days=11), "yellow"),  # due today
    (MONDAY + timedelta(days=12), "red"),  # overdue
])
def test_deadline_colours_follow_the_working_days_used(today, expected):
    due = MONDAY + timedelta(days=11)  # Friday of the next week
    assert colour(due, today, started=MONDAY - timedelta(days=3)) == expected


def test_deadline_colours_without_a_start_look_at_the_days_left_only():
    friday = MONDAY + timedelta(days=4)
    assert colour(friday, MONDAY) == "green"
    assert colour(MONDAY + timedelta(days=7), friday) == "yellow"  # next Monday: 1 working day left
    assert colour(MONDAY, friday) == "red"


def test_a_paused_clock_or_no_due_date_has_no_warning_colour():
    assert colour(MONDAY, MONDAY + timedelta(days=9), paused=True) == "paused"
    assert deadline_colour(None, MONDAY, lambda a, b: 0) is None


# Translations -------------------------------------------------------------------------------------
def test_every_string_of_the_ui_has_a_chinese_translation():
    web = Path(__file__).resolve().parents[3] / "web"
    catalogue = read_po((web / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb"))
    translated = {message.id for message in catalogue if message.id and message.string and not message.fuzzy}
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    used = {entry[2] for folder in ("ui", "templates/ui")
            for entry in extract_from_dir(web / folder, method_map, keywords={"_": None, "_l": None, "gettext": None})}
    assert used - translated == set(), "run the pybabel commands of web/translations/README.md"
