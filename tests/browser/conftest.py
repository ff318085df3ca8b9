"""Browser tests: a real OneThing server (waitress, demo data, a projection worker) driven by Playwright in
Debian's Chromium (``/usr/bin/chromium``; `.ci/run` installs it).

Without Chromium or the ``playwright`` package the tests are skipped, unless ``ONETHING_REQUIRE_BROWSER=1``
(set by `.ci/run`) makes them fail. ``ONETHING_SCREENSHOTS=DIR`` (`make screenshots`) saves a PNG of each
main page the flows visit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.demo.loader import DEMO_PASSWORD, load_demo
from infrastructure.audit.offline_verifier import generate_key
from infrastructure.catalogue.files import sample_catalogue
from infrastructure.eventstore.persistence import dispose_datastores
from infrastructure.licences.signing import LicenceKey
from web import create_app
from web.services import Settings, build_services, command_line_actor

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _require_browser() -> Any:
    required = os.environ.get("ONETHING_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        if required:
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    return sync_playwright


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A served OneThing with the demo loaded; yields an object with ``url`` and ``services``."""
    yield from serve(tmp_path_factory.mktemp("browser"))


def serve(folder: Path, notify_every: float = 0, **settings: Any) -> Iterator[Any]:
    """Serve a OneThing on a new database in ``folder`` with the demo loaded, a projection worker and (with
    ``notify_every`` seconds) a notifier sending what is due, as ``onething run`` does; ``settings`` add to its
    ``Settings``. Yields an object with ``url`` and ``services``."""
    _require_browser()
    from waitress.server import create_server

    key = folder / "audit-key.pem"
    generate_key(key)
    LicenceKey(folder / "licence-key.pem").create()
    config = Settings(database_url=f"sqlite:///{folder / 'onething.sqlite3'}", secret_key="browser-tests",
                      audit_key=str(key), licence_key=str(folder / "licence-key.pem"), files_url=str(folder / "files"),
                      **settings)
    services = build_services(config)
    services.init_schema()
    load_demo(command_line_actor(), services.catalogue, services.users, services.cases,
              list(sample_catalogue().values()), materials=services.materials)
    services.runner.catch_up()
    stop = threading.Event()
    threading.Thread(target=services.runner.run_forever, args=(stop, 0.2), daemon=True).start()
    if notify_every:
        def notify() -> None:
            while not stop.wait(notify_every):
                services.notifier.send_due()

        threading.Thread(target=notify, daemon=True).start()
    app = create_app({"SERVICES": services, "RATELIMIT_ENABLED": False})
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()

    class Served:
        url = f"http://127.0.0.1:{httpd.effective_port}"

    Served.services = services  # type: ignore[attr-defined]
    yield Served
    stop.set()
    httpd.close()
    dispose_datastores()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: Any) -> Iterator[Any]:
    """A browser tab on the server. It fails its test if Chromium refused anything under the
    Content-Security-Policy (Chromium says so on the console): the pages must work under it as they are."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_violations = []
    page.on("console", lambda message: _note_csp_violation(page, message))
    yield page
    context.close()
    assert page.csp_violations == [], "refused under the Content-Security-Policy:\n" + "\n".join(page.csp_violations)


def _note_csp_violation(page: Any, message: Any) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        page.csp_violations.append(f"{message.location.get('url') or page.url}: {message.text}")


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form as a person does."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def sign_out(page: Any) -> None:
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_load_state()


def shot(page: Any, name: str) -> None:
    """Save a PNG of the page when ``ONETHING_SCREENSHOTS`` names a directory (`make screenshots`)."""
    folder = os.environ.get("ONETHING_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


