"""The fixtures and hooks that both browser suites (tests/e2e, tests/stack) share: the local Plivo and SMTP
servers, the per-test capture, fresh browser contexts, and captured pages that leave artifacts when a test fails.

A suite's conftest imports the fixtures and the report hook it uses (package-scoped fixtures then live once per
suite), and marks its tests with `mark_suite`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.support.browser import UI_TIMEOUT_MS, BrowserCapture, artifact_dir, save_artifacts
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp
from tests.support.token_scan import cookie_tokens, link_tokens_in, tokens_in

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def mark_suite(items: list[pytest.Item], folder: Path, mark: pytest.MarkDecorator) -> None:
    """Give every collected test below `folder` the suite's marker."""
    for item in items:
        if folder in Path(str(item.path)).parents:
            item.add_marker(mark)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def failed(item: pytest.Item) -> bool:
    """Whether the test's call phase failed (the report hook keeps it)."""
    report = getattr(item, "report_call", None)
    return report is not None and report.failed


def whole_suite_ran(session: pytest.Session, folder: Path) -> bool:
    """Whether this run has every test module of `folder` (not one file or a -k selection) and went to its end
    (no stop at a first failure): only then do the after-suite checks prove something."""
    modules = {Path(str(item.path)) for item in session.items}
    stopped = bool(session.shouldstop or session.shouldfail)
    return not stopped and all(module in modules for module in folder.glob("test_*.py"))


def after_the_suite(request: pytest.FixtureRequest, folder: Path, check: Callable[[], None]) -> Iterator[None]:
    """Body of a suite's package-scoped fixture: after the suite's last test, while its servers still run, `check`
    (a failure is an error at that test's teardown, and the run fails); a partial run says it skipped them."""
    yield
    if whole_suite_ran(request.session, folder):
        check()
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # said on the terminal, not in the teardown's captured output
            reporter.write_line(f"\n{folder.name}: after-suite checks skipped (not the whole suite)")


@pytest.fixture(scope="package")
def plivo() -> Iterator[LocalPlivo]:
    """The local Plivo-compatible server the app sends its texts to."""
    with LocalPlivo() as server:
        yield server


@pytest.fixture(scope="package")
def smtp_server() -> Iterator[LocalSmtp]:
    """The real SMTP server (aiosmtpd, a plain relay on 127.0.0.1) the app sends its mail to."""
    with LocalSmtp() as server:
        yield server


@pytest.fixture
def mail(smtp_server: LocalSmtp) -> LocalSmtp:
    """The SMTP server's mailbox for this test (emptied before each test)."""
    return smtp_server


@pytest.fixture(scope="package")
def seen_tokens() -> set[str]:
    """Every session and device token the browsers of this package received, and every emailed link's token they
    opened (for the suite's after_suite.py)."""
    return set()


@pytest.fixture
def capture() -> BrowserCapture:
    """The current test's browser capture (the `page` fixture attaches it)."""
    return BrowserCapture()


@contextmanager
def fresh_context(
    browser: Browser,
    base_url: str,
    init_script: str | None = None,
    locale: str | None = None,
    ignore_https_errors: bool = False,
) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies, no storage) whose relative URLs go to `base_url`; `locale` sets the
    browser's language (its Accept-Language and navigator.language); `ignore_https_errors` accepts a test's
    self-signed certificate."""
    context = browser.new_context(
        base_url=base_url,
        viewport=VIEWPORT,
        ignore_https_errors=ignore_https_errors,
        **({"locale": locale} if locale else {}),
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    if init_script is not None:
        context.add_init_script(init_script)
    try:
        yield context
    finally:
        context.close()


@contextmanager
def captured_page(
    request: pytest.FixtureRequest, context: BrowserContext, capture: BrowserCapture, seen_tokens: set[str]
) -> Iterator[Page]:
    """A new page of the context, captured; afterwards its tokens are noted, and a failed test's artifacts saved."""
    shutil.rmtree(artifact_dir(request.node), ignore_errors=True)  # no stale artifacts from an earlier run
    page = context.new_page()
    capture.attach(page)
    yield page
    seen_tokens.update(tokens_in(capture.frames), link_tokens_in(capture.navigations), cookie_tokens(context.cookies()))
    if failed(request.node):
        save_artifacts(request.node, page, capture)
