"""A login moves between workers, survives a worker's crash, and the app rides out a PostgreSQL restart.

Which worker holds a page's websocket is read from the kernel: the established TCP connection from nginx to that
worker's port (one page is open, so there is one).
"""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from scripts.stack import Stack
from scripts.stack_parts import answers
from sms2fa_app.backend.services import Services
from tests.e2e import flows
from tests.e2e.test_account_flows import log_in
from tests.stack.conftest import metric, worker_metrics
from tests.support.factories import create_user
from tests.support.plivo_server import LocalPlivo

ESTABLISHED = "01"


def established_per_worker(stack: Stack) -> list[int]:
    """Established TCP connections on each worker's port (nginx's, to it)."""
    ports = {worker.port: index for index, worker in enumerate(stack.backends)}
    counts = [0] * len(stack.backends)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        port = int(fields[1].split(":")[1], 16)
        if fields[3] == ESTABLISHED and port in ports:
            counts[ports[port]] += 1
    return counts


def worker_of_the_page(stack: Stack, not_this: int | None = None, timeout: float = 30) -> int:
    """The index of the worker holding the page's websocket (waiting until there is exactly one)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = established_per_worker(stack)
        if sum(counts) == 1 and counts.index(1) != not_this:
            return counts.index(1)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no single websocket on a worker{'' if not_this is None else ' but ' + str(not_this)}: {counts}"
            )
        time.sleep(0.2)


def handled(stack: Stack, worker: int, handler: str) -> float:
    return metric(worker_metrics(stack, only=worker), "sms2fa_handler_seconds_count", handler=handler)


def seeded_two_factor_account(backend: Services) -> tuple[str, str]:
    email, e164 = f"stack-move-{secrets.token_hex(4)}@example.com", flows.new_phone()
    create_user(backend, email, phone=e164)
    return email, e164


def test_a_login_started_on_one_worker_is_finished_on_another(
    page: Page, stack: Stack, backend: Services, plivo: LocalPlivo
) -> None:
    email, e164 = seeded_two_factor_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(plivo, e164)
    first = worker_of_the_page(stack)
    assert handled(stack, first, "log_in") >= 1
    for _ in range(6):  # nginx hands each new connection to the next worker
        page.reload()
        expect(page).to_have_url(flows.CHALLENGE)
        time.sleep(0.5)
        if worker_of_the_page(stack) != first:
            break
    second = worker_of_the_page(stack)
    assert second != first
    verified_before = handled(stack, second, "verify")
    flows.submit_code(page, code)
    flows.expect_dashboard(page, email)
    assert handled(stack, second, "verify") == verified_before + 1
    assert len(plivo.messages) == 1


def test_a_worker_killed_mid_login_loses_nothing(
    page: Page, stack: Stack, backend: Services, plivo: LocalPlivo
) -> None:
    """The code is texted, the worker holding the page crashes; the page reconnects through nginx to another
    worker and the same code signs in."""
    email, e164 = seeded_two_factor_account(backend)
    flows.log_in_to_challenge(page, email, e164)
    code = flows.wait_for_code(plivo, e164)
    victim = worker_of_the_page(stack)
    stack.kill_backend(victim)
    try:
        survivor = worker_of_the_page(stack, not_this=victim)
        expect(page.get_by_label("Verification code")).to_be_visible()
        flows.submit_code(page, code)
        flows.expect_dashboard(page, email)
        assert handled(stack, survivor, "verify") >= 1
        assert len(plivo.messages) == 1  # nothing was sent again
    finally:
        stack.start_backend(victim)


def test_postgresql_restarts_and_the_app_recovers_without_a_500(page: Page, stack: Stack, backend: Services) -> None:
    """While PostgreSQL restarts, readiness says so (503), nothing answers 500, and afterwards the same app
    processes serve sign-ins again (their connection pools recover by themselves)."""
    email = f"stack-pg-{secrets.token_hex(4)}@example.com"
    create_user(backend, email)
    log_in(page, email)
    flows.expect_dashboard(page, email)
    logs = {worker.log: worker.log.stat().st_size for worker in stack.backends}
    answered: list[tuple[str, int | None]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            for path in ("/readyz", "/healthz", "/login"):
                answered.append((path, answers(f"{stack.url}{path}", timeout=10)))
            time.sleep(0.05)

    postmaster = stack.postgres.directory / "data" / "postmaster.pid"
    server_before = postmaster.read_text().split()[0]
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        stack.postgres.restart()
        assert postmaster.read_text().split()[0] != server_before, "PostgreSQL did not restart"
        page.goto("/settings")
        expect(page.get_by_role("button", name="Enable two-factor authentication")).to_be_visible()
        deadline = time.monotonic() + 30
        while answers(f"{stack.url}/readyz") != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        done.set()
        poller.join()
    assert answers(f"{stack.url}/readyz") == 200
    page.goto("/dashboard")
    page.get_by_role("button", name="Log out").click()
    log_in(page, email)
    flows.expect_dashboard(page, email)

    unexpected = [(path, status) for path, status in answered if status != 200 and (path, status) != ("/readyz", 503)]
    assert not unexpected, f"answers other than 200 (or 503 from /readyz): {unexpected[:10]}"
    for log, size in logs.items():
        text = log.read_bytes()[size:].decode(errors="replace")
        assert "event=handler_failed" not in text and "event=backend_error" not in text, f"{log}: {text[-2000:]}"
        assert "Traceback" not in text, f"{log}: {text[-2000:]}"
