"""`make run`, the README's run command, in development mode, as a new developer meets it.

The app runs from a fresh mirror of the project with nothing configured: the dev outbox instead of Plivo and
SMTP, the embedded Redis, a generated secret key, SQLite in the mirror's data/. A person signs up, confirms the
address through the link in /dev/outbox, enrolls a phone with the code read from /dev/outbox, logs out and logs
in through the challenge, in Chromium, while the test counts the backend restarts in the log: there must be
none. Then: both servers listen on 127.0.0.1 only, editing a module still restarts the backend, and SIGTERM to
`make run` leaves no process behind (the embedded Redis included).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Page, expect

from tests.e2e import flows
from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.conftest import _free_port as free_port
from tests.e2e_run.conftest import (
    MakeRun,
    assert_listens_on_loopback_only,
    clean_environment,
    dev_mirror,
    new_marker,
    start_make,
    wait_until_serving,
)

START_TIMEOUT_SECONDS = 420.0  # first start: `bun install` in the web directory, then Vite
DEV_UI_TIMEOUT_MS = 60_000  # the dev server compiles each page on its first visit
OUTBOX_TIMEOUT_SECONDS = 30.0
RESTART_TIMEOUT_SECONDS = 120.0


@dataclass
class DevApp:
    """`make run` in a mirror: the frontend (Vite) and the backend on their own ports."""

    run: MakeRun
    frontend_port: int
    backend_port: int
    startup_seconds: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.frontend_port}"


@pytest.fixture(scope="module")
def dev_app(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory, run_artifacts: Path
) -> Iterator[DevApp]:
    """`make run` in a fresh mirror, nothing configured but the ports (asks for Chromium first: no browser, no
    build)."""
    work = tmp_path_factory.mktemp("make-run-dev")
    mirror = dev_mirror(work / "project")
    frontend_port = free_port()
    backend_port = free_port()
    while backend_port == frontend_port:
        backend_port = free_port()
    environment = clean_environment(new_marker())
    environment.update(
        {
            "REFLEX_FRONTEND_PORT": str(frontend_port),
            "REFLEX_BACKEND_PORT": str(backend_port),
            "REFLEX_API_URL": f"http://127.0.0.1:{backend_port}",
        }
    )
    run = start_make("run", mirror, work, environment, run_artifacts / "make-run-dev.log")
    try:
        startup = wait_until_serving(
            run,
            [f"http://127.0.0.1:{frontend_port}/", f"http://127.0.0.1:{backend_port}/ping"],
            START_TIMEOUT_SECONDS,
        )
        yield DevApp(run, frontend_port, backend_port, startup)
    finally:
        run.force_stop()
        shutil.rmtree(mirror / ".web", ignore_errors=True)  # ~150 MB of node_modules


@pytest.fixture
def dev_context(browser: Browser, dev_app: DevApp) -> Iterator[BrowserContext]:
    """A fresh browser context on the dev frontend, with the dev server's patience."""
    expect.set_options(timeout=DEV_UI_TIMEOUT_MS)
    context = browser.new_context(base_url=dev_app.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(DEV_UI_TIMEOUT_MS)
    yield context
    context.close()
    expect.set_options(timeout=UI_TIMEOUT_MS)


# ---- the walk ------------------------------------------------------------------------------------

CODE_AFTER_NUMBER = "{number}\\b.*?code is (\\d{{6}})"
LINK_AFTER_ADDRESS = "{address}.*?(https?://\\S+{path}\\S*)"


def from_outbox(context: BrowserContext, pattern: re.Pattern[str], seen: set[str], what: str) -> str:
    """Open /dev/outbox in another tab, as a developer does, and read the newest match of `pattern` not seen."""
    outbox = context.new_page()
    try:
        outbox.goto("/dev/outbox")
        expect(outbox.get_by_role("heading", name="Development outbox")).to_be_visible()
        deadline = time.monotonic() + OUTBOX_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            match = pattern.search(outbox.locator("body").inner_text())
            if match and match.group(1) not in seen:
                return match.group(1)
            outbox.get_by_role("button", name="Refresh").click()
            outbox.wait_for_timeout(500)
        raise AssertionError(f"no new {what} in /dev/outbox within {OUTBOX_TIMEOUT_SECONDS:.0f}s")
    finally:
        outbox.close()


def code_from_outbox(context: BrowserContext, e164: str, seen: set[str]) -> str:
    """The newest code texted to `e164`, read from /dev/outbox."""
    pattern = re.compile(CODE_AFTER_NUMBER.format(number=re.escape(e164)), re.DOTALL)
    return from_outbox(context, pattern, seen, f"code for {e164}")


def link_from_outbox(context: BrowserContext, email: str, path: str) -> str:
    """The link to `path` mailed to `email`, read from /dev/outbox, as a path on the app the browser reaches
    (the mail names APP_URL's default, port 3000; the test's app has ports of its own)."""
    pattern = re.compile(LINK_AFTER_ADDRESS.format(address=re.escape(email), path=re.escape(path)), re.DOTALL)
    link = urlsplit(from_outbox(context, pattern, set(), f"link to {path} for {email}"))
    return f"{link.path}?{link.query}"


def enroll_through_outbox(page: Page, e164: str, password: str) -> str:
    """From the dashboard: Security settings, enable 2FA with `e164` and the code from the dev outbox."""
    page.get_by_role("link", name="Security settings").click()
    page.get_by_role("button", name="Enable two-factor authentication").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Phone number").fill(flows.typed_form(e164))
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    code = code_from_outbox(page.context, e164, seen=set())
    flows.submit_code(page, code)
    expect(page.get_by_text("Two-factor authentication is on.").first).to_be_visible()
    flows.done_with_recovery_codes(page)
    page.get_by_role("link", name="Back to dashboard").click()
    return code


def walk(page: Page) -> None:
    """Sign up and confirm the address, enroll through the outbox, log out, log in through the challenge, land on
    the dashboard, and stay signed in across a reload (the session cookie, set across the two ports); then clear
    the limits from the outbox."""
    email, password = flows.fill_sign_up(page)
    flows.confirm_address_at(page, link_from_outbox(page.context, email, "/verify-email"))
    flows.log_in_after_confirming(page, email, password)
    e164 = flows.new_phone()
    enrollment_code = enroll_through_outbox(page, e164, password)
    flows.log_out(page)
    flows.log_in_to_challenge(page, email, e164, password)
    flows.submit_code(page, code_from_outbox(page.context, e164, seen={enrollment_code}))
    flows.expect_dashboard(page, email)
    # The page (:3000) traded its ticket with the backend (:8000): the HttpOnly cookie signs the next socket in.
    cookie = next(cookie for cookie in page.context.cookies() if cookie["name"] == "sms2fa_session")
    assert (
        cookie["httpOnly"]
        and cookie["sameSite"] == "Lax"
        and "sms2fa_session" not in page.evaluate("() => document.cookie + JSON.stringify({...localStorage})")
    )
    page.reload()
    flows.expect_dashboard(page, email)
    clear_limits_from_the_outbox(page)


def clear_limits_from_the_outbox(page: Page) -> None:
    """/dev/outbox's "Clear limits for this machine" answers a browser on this machine (issue 23)."""
    page.goto("/dev/outbox")
    page.get_by_role("button", name="Clear limits for this machine").click()
    expect(flows.said(page, "dev.limits_cleared")).to_be_visible()


def wait_for_worker_start(app: DevApp, at_least: int, timeout: float) -> bool:
    """Wait until the log shows `at_least` backend worker starts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.run.log.counts()[1] >= at_least:
            return True
        time.sleep(0.5)
    return False


def test_a_person_walks_through_without_a_backend_restart(
    dev_app: DevApp, dev_context: BrowserContext, run_artifacts: Path
) -> None:
    """Sign-up -> enroll via /dev/outbox -> log out -> log in -> challenge -> dashboard: zero backend restarts."""
    screenshot = run_artifacts / "make-run-dev-walk.png"
    screenshot.unlink(missing_ok=True)  # only this run's failure leaves one
    wait_for_worker_start(dev_app, 1, 60)
    time.sleep(2)  # let the start settle: only the walk's restarts count
    compiles_before, starts_before, killed_before = dev_app.run.log.counts()
    page = dev_context.new_page()
    started = time.monotonic()
    failure: BaseException | None = None
    try:
        walk(page)
    except (AssertionError, Error) as error:
        failure = error
        with contextlib.suppress(Error):
            page.screenshot(path=str(screenshot), full_page=True)
    walk_seconds = time.monotonic() - started
    time.sleep(2)  # a restart the last step caused shows in the log within the reload tick
    compiles, starts, killed = dev_app.run.log.counts()
    restarts = max(compiles - compiles_before, starts - starts_before)
    summary = (
        f"startup {dev_app.startup_seconds:.0f}s, walk {walk_seconds:.0f}s, backend restarts during the walk: "
        f"{restarts} (compiles +{compiles - compiles_before}, worker starts +{starts - starts_before}, "
        f"workers killed +{killed - killed_before}), walk {'failed: ' + str(failure) if failure else 'passed'}"
    )
    (run_artifacts / "make-run-dev-summary.txt").write_text(summary + "\n")
    print(summary)
    assert failure is None and restarts == 0, f"{summary}\n{dev_app.run.log.tail(40)}"


def test_development_servers_listen_on_localhost_only(dev_app: DevApp) -> None:
    """The Vite dev server and the backend bind 127.0.0.1, not every interface."""
    assert_listens_on_loopback_only("frontend", dev_app.frontend_port)
    assert_listens_on_loopback_only("backend", dev_app.backend_port)


def test_editing_a_module_still_restarts_the_backend(dev_app: DevApp) -> None:
    """Hot reload still works for the code: a changed module under sms2fa_app/ restarts the backend."""
    starts_before = dev_app.run.log.counts()[1]
    module = dev_app.run.cwd / "sms2fa_app" / "pages" / "dashboard.py"
    module.write_text(module.read_text() + "\n# edited by the development-mode test\n")
    assert wait_for_worker_start(dev_app, starts_before + 1, RESTART_TIMEOUT_SECONDS), (
        f"no backend restart within {RESTART_TIMEOUT_SECONDS:.0f}s of editing {module.name}:\n"
        f"{dev_app.run.log.tail(30)}"
    )


def test_sigterm_stops_every_process_of_the_run(dev_app: DevApp, run_artifacts: Path) -> None:
    """SIGTERM to `make run`'s group: make, reflex, granian, bun, node, the embedded Redis and its watchdog end."""
    running = dev_app.run.leftovers()
    for program in ("redis-server", "redis_watchdog"):
        assert any(program in process.command for process in running), (
            f"{program} should be running before the stop:\n" + "\n".join(map(str, running))
        )
    code, seconds, left = dev_app.run.stop(signal.SIGTERM)
    with (run_artifacts / "make-run-dev-summary.txt").open("a") as summary:
        summary.write(f"SIGTERM: {len(running)} processes, {len(left)} left after {seconds:.1f}s\n")
    assert code is not None, "make run did not exit after SIGTERM"
    assert not left, f"still running {seconds:.0f}s after SIGTERM:\n" + "\n".join(map(str, left))
