"""The stack suite: the production stack of scripts/stack.py (PostgreSQL, Redis, WORKERS backend workers on
Reflex's Redis state manager, the built frontend behind nginx), started once for this package, driven in Chromium
through nginx and by bare websocket clients (tests/support/reflex_client.py) for parallel requests.

The app runs with production's own limits; each test starts with the app's Redis database emptied (limits,
codes, lockouts; Reflex's state lives in another database) and an empty outbox. The stack's timings and logs are
left in test-artifacts/stack/.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from prometheus_client.parser import text_string_to_metric_families

from scripts.stack import Sms, Stack
from scripts.stack_parts import Postgres
from sms2fa_app.backend.identity.session_cookie import CookiePolicy
from sms2fa_app.backend.services import Services, build_services
from sms2fa_app.config import load_settings
from sms2fa_app.reflex_adapter import hydrate_event_name
from tests.conftest import NO_PRESSURE
from tests.stack.after_suite import no_raw_token_anywhere
from tests.support.app_server import project_mirror as _project_mirror
from tests.support.browser import (  # noqa: F401 - fixtures shared by the browser tests
    ARTIFACTS,
    CSP_WATCH,
    UI_TIMEOUT_MS,
    BrowserCapture,
    artifact_dir,
    browser,
    chromium_executable,
    save_artifacts,
    under_ci,
)
from tests.support.browser_suite import (  # noqa: F401 - fixtures and the report hook shared with tests/e2e
    after_the_suite,
    capture,
    captured_page,
    failed,
    fresh_context,
    mail,
    mark_suite,
    plivo,
    pytest_runtest_makereport,
    seen_tokens,
    smtp_server,
)
from tests.support.plivo_server import LocalPlivo
from tests.support.reflex_client import ReflexClient
from tests.support.smtp_server import LocalSmtp

STACK_TESTS = Path(__file__).resolve().parent
# The limits suite counts exact numbers of tries: no proof of work in its way, except for texts to GB (4 an hour,
# a proof from the third on), where test_browser_calls.py solves the widget under nginx's CSP.
STACK_SETTINGS = {
    **NO_PRESSURE,
    "SMS_COUNTRY_CAPS_PER_HOUR": "GB=4",
    "SMS_COUNTRY_CAP_DEFAULT_PER_HOUR": "100000",
    "POW_AFTER_COUNTRY_CAP_PERCENT": "50",
    "POW_DIFFICULTY": "2000",
    # Short enough for the passkey story's re-authentication text (it waits out the login's cooldown, up to 10 s),
    # far longer than twenty parallel resends take.
    "OTP_RESEND_COOLDOWN_SECONDS": "8",
}
STACK_ARTIFACTS = ARTIFACTS / "stack"
WORKERS = 2
SUMMARY: dict[str, Any] = {}  # the stack's start and the suite's time, for the terminal summary
HYDRATE = hydrate_event_name()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in tests/stack carries the stack marker."""
    mark_suite(items, STACK_TESTS, pytest.mark.stack)


def _missing_tools() -> list[str]:
    missing = [] if Path("/usr/sbin/nginx").exists() else ["nginx"]
    missing += [] if Path("/usr/bin/redis-server").exists() else ["redis-server"]
    try:
        Postgres.bin_dir()
    except RuntimeError:
        missing.append("postgresql")
    return missing


@pytest.fixture(scope="package")
def stack(chromium_executable: str, plivo: LocalPlivo, smtp_server: LocalSmtp) -> Iterator[Stack]:
    """The whole stack, once for the package; its logs are copied to test-artifacts/stack/ at the end."""
    if missing := _missing_tools():
        message = f"{', '.join(missing)} missing (run scripts/ensure_test_tools.sh as root)"
        if under_ci():
            pytest.fail(f"CI=true: the stack tests must run, but {message}", pytrace=False)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="sms2fa-stack-test-"))
    root.chmod(0o755)  # nginx's workers read the build from here
    sms = Sms(plivo.url, plivo.auth_id, plivo.auth_token)
    mail = smtp_server.settings()
    running = Stack(root, _project_mirror(root / "project"), sms, countries="US,GB", mail=mail, settings=STACK_SETTINGS)
    running.workers = WORKERS
    suite_started = time.monotonic()
    try:
        running.start()
        SUMMARY["stack start (s)"] = running.timings
        yield running
    finally:
        SUMMARY["stack suite (s)"] = round(time.monotonic() - suite_started, 1)
        SUMMARY["workers"] = running.workers
        running.stop()
        STACK_ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for log in [*running.logs.glob("*.log"), running.nginx.access_log, running.nginx.error_log]:
            if log.exists():
                shutil.copy2(log, STACK_ARTIFACTS / f"{log.parent.name}-{log.name}")
        (STACK_ARTIFACTS / "summary.json").write_text(json.dumps(SUMMARY, indent=2))
        shutil.rmtree(root, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SUMMARY:
        terminalreporter.write_line(f"sms2fa stack: {json.dumps(SUMMARY)}")


@pytest.fixture(scope="package")
def backend(stack: Stack) -> Services:
    """The app's backend on the stack's PostgreSQL and Redis, to seed accounts and sessions directly."""
    return build_services(load_settings(stack.app_environment, env_file=None))


@pytest.fixture(scope="package")
def after_the_stack_suite(
    request: pytest.FixtureRequest,
    stack: Stack,
    seen_tokens: set[str],
    browser: Browser,
    backend: Services,
    smtp_server: LocalSmtp,
) -> Iterator[None]:
    """Set up with the first page, torn down after the last stack test while the stack still runs: no raw token
    in any file of the stack or in Redis (after_suite.py)."""
    yield from after_the_suite(
        request, STACK_TESTS, lambda: no_raw_token_anywhere(stack, seen_tokens, browser, backend, smtp_server)
    )


@pytest.fixture(autouse=True)
def fresh(backend: Services, plivo: LocalPlivo, smtp_server: LocalSmtp) -> None:
    """Each test starts with no limits, codes or lockouts counted, and empty outboxes."""
    backend.redis.flushdb()
    plivo.clear()
    smtp_server.clear()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    """A fresh browser context whose relative URLs go to nginx, watching for CSP violations."""
    with fresh_context(browser, stack.url, init_script=CSP_WATCH) as new_context:
        yield new_context


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    context: BrowserContext,
    capture: BrowserCapture,
    seen_tokens: set[str],
    after_the_stack_suite: None,
) -> Iterator[Page]:
    """A captured page; after the test, no Content-Security-Policy violation may have happened in it."""
    with captured_page(request, context, capture, seen_tokens) as new_page:
        yield new_page
    if failed(request.node):
        return
    violations = [] if new_page.is_closed() else new_page.evaluate("() => window.__cspViolations")
    violations += [line for line in capture.console if "Content Security Policy" in line]
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def worker_metrics(stack: Stack, only: int | None = None) -> list[dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    """Each worker's metrics, or worker `only`'s (scraped with the token, from the worker's own port)."""
    scraped = []
    for worker in stack.backends if only is None else [stack.backends[only]]:
        request = urllib.request.Request(
            f"{worker.url}/metrics", headers={"Authorization": f"Bearer {stack.metrics_token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        scraped.append(samples)
    return scraped


def metric(scraped: list[dict[tuple[str, frozenset[tuple[str, str]]], float]], name: str, **labels: str) -> float:
    """One sample summed over the workers (0 where a worker has none yet)."""
    key = (name, frozenset(labels.items()))
    return sum(worker.get(key, 0.0) for worker in scraped)


def signed_in_client(stack: Stack, token: str, path: str) -> ReflexClient:
    """A bare websocket connection through nginx, opened as the app's page whose session cookie holds `token`
    (its handshake carries it; the hydrate binds it)."""
    policy = CookiePolicy(secure=stack.url.startswith("https://"))
    headers = {"Origin": stack.url, "Cookie": f"{policy.session_name}={token}"}
    client = ReflexClient(stack.url, headers=headers).__enter__()
    client.call(HYDRATE, {"vars": {}}, path=path, quiet=0.3)
    return client
