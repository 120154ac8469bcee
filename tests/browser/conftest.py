"""Browser fixtures: Debian's chromium driven by Playwright (sync API) against ``live_server``.

Playwright's sync API runs an asyncio event loop in the test thread, which makes Django
refuse ORM calls from that thread ("async unsafe") unless told otherwise.
"""

import os
import re

import pytest
from playwright.sync_api import Page, expect, sync_playwright

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw"  # what tests.factories.UserFactory sets


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, username: str, password: str = PASSWORD) -> Page:
    """Log in through the real login form and wait for the dashboard."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    return page


@pytest.fixture
def logged_in(page):
    """``logged_in(user)``: the page, logged in as ``user`` through the login form."""

    def _log_in(user) -> Page:
        return log_in(page, user.get_username())

    return _log_in
