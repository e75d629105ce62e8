"""Browser tests: Debian's chromium, driven by Playwright, against the app on a real WSGI
server. No browser is ever downloaded; `.ci/run` installs the `chromium` package."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from core.app import create_app
from core.config import Settings
from core.queue import Drain, queues
from tests.conftest import _empty_tables
from tests.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(`apt-get install chromium`; .ci/run does this). Browser tests never download one."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Site:
    app: Flask
    url: str


@pytest.fixture
def site(settings: Settings, redis_conn: redis.Redis) -> Iterator[Site]:
    """The whole app on a threaded WSGI server, on a free port."""
    server = LiveServer()
    url = server.url
    app = create_app(
        {"SETTINGS": dataclasses.replace(settings, public_base_url=url), "TESTING": True}
    )
    _empty_tables()
    for drain in Drain.all:
        drain.forget()
    server.start(app)
    try:
        yield Site(app=app, url=url)
    finally:
        server.stop()
        queues.close()


@dataclass
class Tab:
    """A browser tab on the site that remembers every dialog a page tried to open."""

    page: Page
    site: Site
    name: str
    dialogs: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.site.url + path)

    def sign_in(self, email: str, password: str) -> None:
        self.go("/staff/sign-in")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def shot(self, label: str = "") -> Path:
        path = ARTIFACTS / f"{self.name}{'-' + label if label else ''}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _tab(
    browser: Browser, site: Site, request: pytest.FixtureRequest, **options: Any
) -> Iterator[Tab]:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=LAPTOP, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    tab = Tab(page=page, site=site, name=name)

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield tab
    finally:
        tab.shot()  # every test leaves a picture of where it ended, pass or fail
        context.close()


@pytest.fixture
def tab(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Tab]:
    yield from _tab(browser, site, request)


@pytest.fixture
def unguarded_tab(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A tab that ignores the Content-Security-Policy, so escaping alone has to hold."""
    yield from _tab(browser, site, request, bypass_csp=True)
