"""Browser fixtures: Debian's Chromium, driven by Playwright, against pytest-django's live_server.

The tests run wherever /usr/bin/chromium exists; where it does not, they are deselected and the
run ends with one line saying how to enable them. Playwright's own browser download is never used.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django.apps
import pyotp
import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django_otp.plugins.otp_totp.models import TOTPDevice

from settings_app import roles
from settings_app.models import Setting
from tests.support.provider_server import provider_server_fixture  # noqa: F401
from tests.support.second_factor import current_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
UPDATE_SCREENSHOTS = "KEYVAULT_UPDATE_SCREENSHOTS"
NO_CHROMIUM = "Chromium not found: apt-get install chromium to run the browser tests"
NO_PLAYWRIGHT = "Playwright not installed: pip install -e '.[dev]' to run the browser tests"
# Headless, and nothing that would reach the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
NOT_RUN = pytest.StashKey[str]()
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 15_000

Screenshot = Callable[["Page", str], Path]
# Every page reports Content-Security-Policy violations to the console, where `page` collects
# them: a journey that trips the policy fails, so the admin is known to work under it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def browser_missing() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    if not CHROMIUM.exists():
        return NO_CHROMIUM
    if importlib.util.find_spec("playwright") is None:
        return NO_PLAYWRIGHT
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a browser, drop the e2e tests (one summary line, not one skip line per test)."""
    reason = browser_missing()
    e2e = [item for item in items if item.get_closest_marker("e2e")]
    if not reason or not e2e:
        return
    items[:] = [item for item in items if not item.get_closest_marker("e2e")]
    config.hook.pytest_deselected(items=e2e)
    tests = "test" if len(e2e) == 1 else "tests"
    config.stash[NOT_RUN] = f"{len(e2e)} browser {tests} not run. {reason}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if NOT_RUN in config.stash:
        terminalreporter.write_line(config.stash[NOT_RUN], yellow=True)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """A fresh headless Chromium per test.

    Per test, not per session: Playwright's sync API leaves its event loop marked as running
    on this thread while it is started, which would break async-aware code in other tests.
    """
    from playwright.sync_api import sync_playwright

    # Test code calls the ORM while Playwright's loop is marked running on this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
            # While Playwright's loop runs, asgiref gives this thread's ORM calls connections of
            # their own (keyed by context, not thread); close them before the loop stops, or they
            # stay open and PostgreSQL refuses to drop the test database.
            connections.close_all()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A page in its own browser context (own cookies), with live_server as the base URL.

    The test fails if any page it visits violates the Content-Security-Policy.
    """
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    # No context.route() here: intercepting requests changes how Chromium treats history and
    # cache (going back to the no-store reveal page stops failing), which journey 3 checks.
    violations: list[str] = []
    try:
        opened = context.new_page()
        opened.on("console", lambda message: _collect_csp_violation(message.text, violations))
        yield opened
    finally:
        context.close()
    assert violations == [], "the page broke its Content-Security-Policy"


def _collect_csp_violation(text: str, violations: list[str]) -> None:
    if text.startswith("CSP violation") or "Content Security Policy" in text:
        violations.append(text)


@pytest.fixture
def roles_synced(transactional_db: None) -> None:
    """The keyvault groups: live_server's flush between tests drops what migration 0003 made."""
    roles.sync_roles(django.apps.apps)


@pytest.fixture
def make_user(roles_synced: None) -> Callable[..., User]:
    """Staff users in a keyvault role (or superusers), all with PASSWORD."""

    def make(username: str, group: str | None = None, **flags: Any) -> User:
        user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **flags)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture(scope="session")
def update_docs_images() -> bool:
    """Session-scoped so it runs before the autouse cleaner removes KEYVAULT_* variables."""
    return os.environ.get(UPDATE_SCREENSHOTS) == "1"


@pytest.fixture
def screenshot(update_docs_images: bool) -> Screenshot:
    """Save a full-page PNG to artifacts/, and to docs/img/ when KEYVAULT_UPDATE_SCREENSHOTS=1."""

    def save(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if update_docs_images:
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_IMG / path.name)
        return path

    return save


def new_openai_key() -> str:
    """A fresh, random-looking OpenAI project key."""
    return "sk-proj-" + secrets.token_urlsafe(36)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the admin login form, as a person would, then pass the second factor
    the policy asks for: enrol an authenticator app the first time, type its code after."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    follow(page.locator("input[type=submit]"))
    if "/admin/2fa/enrol/" in page.url:
        enrol_authenticator(page)
        follow(page.get_by_role("link", name="I have saved them"))
    elif "/admin/2fa/verify/" in page.url:
        type_code(page, current_code(TOTPDevice.objects.get(user__username=username)))


def enrol_authenticator(page: Page) -> str:
    """On the enrolment page, add the app from the secret the page shows; that secret."""
    secret = page.inner_text(".twofactor-secret").strip()
    type_code(page, pyotp.TOTP(secret).now(), button="Add this app")
    return secret


def type_code(page: Page, code: str, button: str = "Verify") -> None:
    page.fill("#id_code", code)
    follow(page.get_by_role("button", name=button))


def follow(target: Locator) -> None:
    """Click a link or button that loads a page, and wait until that page has loaded.

    A bare click returns once the navigation starts; reading the page then can see it half-built.
    """
    target.click()
    target.page.wait_for_load_state()


def assert_not_shown(page: Page, *values: str) -> None:
    """Neither the markup nor the visible text holds a value, nor its masked-away middle."""
    html, text = page.content(), page.inner_text("body")
    for value in values:
        for part in (value, value[len("sk-proj-") : -4]):
            assert part not in html, f"a secret is in the HTML of {page.url}"
            assert part not in text, f"a secret is in the text of {page.url}"


@pytest.fixture
def secret() -> str:
    """A fresh OpenAI-looking key, unique to the test."""
    return new_openai_key()


@pytest.fixture
def stored(roles_synced: Any, secret: str) -> Setting:
    """That key, stored as the OpenAI setting."""
    return Setting.objects.create(key="openai_api_key", value=secret, provider="openai")
