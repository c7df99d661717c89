"""End-to-end fixtures: a real Redis, the local Plivo, a real SMTP server, the app in production mode, and Chromium.

One app server and one Chromium serve all of tests/e2e. Their fixtures are package-scoped, not
session-scoped, so they stop as soon as the last e2e test ends: Playwright's sync API keeps an event
loop marked as running while it lives, which would break the async unit tests that run afterwards.
For the same reason, e2e tests are plain `def` functions.

Each test gets a fresh browser context and page, whose websocket frames, console and storage are
captured; a failing test leaves a screenshot, its console log and the frames in
test-artifacts/<test-name>/.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from sms2fa_app.backend.services import Services, build_services
from sms2fa_app.config import load_settings
from tests.conftest import PRODUCTION_TEST_SETTINGS
from tests.e2e.after_suite import check_after_the_suite
from tests.e2e.audit import note_visits
from tests.support.app_server import (
    ROOT,
    SENDER_NUMBER,
    RunningApp,
    migrate,
    project_mirror,
    start_app,
    wait_until_ready,
)
from tests.support.app_server import app_environment as app_environment_for
from tests.support.app_server import free_port as _free_port
from tests.support.browser import (  # noqa: F401 - fixtures and helpers shared by the browser tests
    ARTIFACTS,
    UI_TIMEOUT_MS,
    BrowserCapture,
    artifact_dir,
    browser,
    chromium_executable,
    save_artifacts,
    under_ci,
    whole_number_forms,
)
from tests.support.browser_suite import (  # noqa: F401 - fixtures and the report hook shared with tests/stack
    after_the_suite,
    capture,
    captured_page,
    fresh_context,
    mail,
    mark_suite,
    plivo,
    pytest_runtest_makereport,
    seen_tokens,
    smtp_server,
)
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer
from tests.support.smtp_server import LocalSmtp

__all__ = ["ROOT", "BrowserCapture", "RunningApp", "_free_port", "whole_number_forms"]  # imported from here

E2E_DIR = Path(__file__).resolve().parent
# The name the browser uses for the app: a secure context, and a valid WebAuthn relying-party id (an IP is not).
APP_HOST = "localhost"
# What the app under test runs with, besides the per-session values set in `app_environment`.
TEST_SETTINGS = {
    "APP_ENV": "production",
    **PRODUCTION_TEST_SETTINGS,  # the local Plivo is http on 127.0.0.1: production allows plain http to loopback
    "PLIVO_PHONE_NUMBER": SENDER_NUMBER,
    "PLIVO_TIMEOUT_SECONDS": "5",
    "OTP_RESEND_COOLDOWN_SECONDS": "3",
    "OTP_SENDS_PER_HOUR_PER_USER": "30",
    "OTP_SENDS_PER_HOUR_PER_PHONE": "30",
    "OTP_SENDS_PER_HOUR_PER_IP": "1000",
    "OTP_SENDS_PER_HOUR_GLOBAL": "10000",
    "LOGIN_MAX_FAILURES_PER_IP": "1000",
    "SIGNUPS_PER_HOUR_PER_IP": "1000",  # every test account signs up from 127.0.0.1
    "PASSWORD_RESETS_PER_HOUR_PER_IP": "1000",
    "NOTICE_RETRY_BASE_SECONDS": "2",
    # Proof of work: every test comes from 127.0.0.1, so no per-IP pressure; an account asks for it after two
    # failed logins, texts to GB numbers (cap 4) after two sends; quick to solve.
    "POW_AFTER_SENDS_PER_HOUR_PER_IP": "0",
    "POW_AFTER_LOGIN_FAILURES_PER_IP": "0",
    "POW_AFTER_SENDS_PER_HOUR_PER_USER": "0",
    "POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT": "2",
    "SMS_COUNTRY_CAPS_PER_HOUR": "GB=4",
    "SMS_COUNTRY_CAP_DEFAULT_PER_HOUR": "100000",
    "POW_DIFFICULTY": "2000",
    "OPERATOR_EMAIL": "ops@example.com",  # production needs it: country alerts are mailed to the SMTP server
    "OTP_ALLOWED_COUNTRIES": "US,GB",  # the tests text US and GB numbers
    # The admin console: a reset waits production's shortest period (a day: no setting shortens it in production,
    # so the test moves the pending reset's due time in the database instead); each worker sweeps every second.
    "ADMIN_RESET_WAIT_SECONDS": "86400",
    "ADMIN_RESET_SWEEP_SECONDS": "1",
    "SMS_PRICE_TABLE": "US=0.0079,GB=0.04,*=0.05",
    # WhatsApp codes through the local Plivo (test_whatsapp_codes.py); a late template may be texted after 3 s
    "WHATSAPP_SENDER": "+14155550199",
    "WHATSAPP_TEMPLATE_NAME": "sms2fa_code",
    "WHATSAPP_FALLBACK_SECONDS": "3",
    "EXTRA_PAGES": "tests.support.example_pages",  # a developer's own protected pages (test_protected_pages.py)
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in tests/e2e carries the e2e marker."""
    mark_suite(items, E2E_DIR, pytest.mark.e2e)


# ---- servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis server for the app."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="package")
def app_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's temporary home: project/ (where Reflex runs), then web/, states/, data/ and the database."""
    subprocess.run([str(ROOT / "scripts" / "vendor_altcha.sh")], check=True, timeout=300)  # as `make setup`
    work = tmp_path_factory.mktemp("app")
    project_mirror(work / "project")
    return work


@pytest.fixture(scope="package")
def app_environment(
    app_workdir: Path, redis_server: RedisServer, plivo: LocalPlivo, smtp_server: LocalSmtp
) -> dict[str, str]:
    """Environment of the app process: production settings, temporary data, isolated Reflex work dirs."""
    # The browser calls the app localhost (Chromium maps that name to 127.0.0.1, see CHROMIUM_ARGS): passkeys need
    # a domain name as relying-party id, never an IP address. Mail links, Plivo's reports and voice answers go there.
    return app_environment_for(
        app_workdir,
        redis_url=redis_server.url,
        plivo_url=plivo.url,
        plivo_auth=(plivo.auth_id, plivo.auth_token),
        settings={**TEST_SETTINGS, **smtp_server.settings()},
        host=APP_HOST,
    )


@pytest.fixture(scope="package")
def app(chromium_executable: str, app_workdir: Path, app_environment: dict[str, str]) -> Iterator[RunningApp]:
    """`reflex db migrate`, then `reflex run --env prod` on 127.0.0.1, for all e2e tests.

    Asks for `chromium_executable` first so that a missing browser skips before the build.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "e2e-app.log"
    cwd = app_workdir / "project"
    migrate(cwd, app_environment, log_path)
    running = start_app(cwd, app_environment, log_path)
    try:
        wait_until_ready(running)
        yield running
    finally:
        running.stop()
        shutil.rmtree(app_environment["REFLEX_WEB_WORKDIR"], ignore_errors=True)  # ~150 MB of node_modules


@pytest.fixture(scope="package")
def after_the_e2e_suite(request: pytest.FixtureRequest, app: RunningApp, seen_tokens: set[str]) -> Iterator[None]:
    """Set up with the first page, torn down after the last e2e test while the app still runs: every visited page
    was audited, no raw token in any file (after_suite.py)."""
    yield from after_the_suite(request, E2E_DIR, lambda: check_after_the_suite(app, seen_tokens))


@pytest.fixture(scope="package")
def backend(app: RunningApp) -> Services:
    """The app's backend (same database and Redis), to seed accounts without clicking through sign-up."""
    return build_services(load_settings(app.environment, env_file=None))


@pytest.fixture
def sms(plivo: LocalPlivo) -> LocalPlivo:
    """The local Plivo's outbox for this test (emptied before each test by `page`)."""
    return plivo


@pytest.fixture
def context(browser: Browser, app: RunningApp) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies, no storage) whose relative URLs go to the app."""
    with fresh_context(browser, app.url) as new_context:
        yield new_context


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    context: BrowserContext,
    capture: BrowserCapture,
    plivo: LocalPlivo,
    smtp_server: LocalSmtp,
    redis_server: RedisServer,
    seen_tokens: set[str],
    after_the_e2e_suite: None,
) -> Iterator[Page]:
    """A captured page; the test starts with empty Plivo and SMTP outboxes and an empty Redis (codes, limits)."""
    plivo.clear()
    smtp_server.clear()
    with redis_server.client() as client:
        client.flushdb()
    with captured_page(request, context, capture, seen_tokens) as new_page:
        yield new_page
    note_visits(capture.navigations)
