"""Limits and lockouts hold across workers: many connections through nginx (spread over the workers by its
round robin) send the same request at the same moment, with production's own limits.

Each connection is a bare websocket client; the outcome is counted by the workers' own metrics and by the texts
that reach the local Plivo.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from scripts.stack import Stack
from sms2fa_app.backend.services import Services
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.login import LoginState
from tests.stack.conftest import HYDRATE, metric, signed_in_client, worker_metrics
from tests.support.factories import PASSWORD, create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.reflex_client import ReflexClient, Update, handler_name

T = TypeVar("T")


def at_once(clients: list[ReflexClient], act: Callable[[int, ReflexClient], T]) -> list[T]:
    """Run `act(index, client)` on every (already connected) client at the same moment; close them after."""
    barrier = threading.Barrier(len(clients))

    def run(index: int) -> T:
        barrier.wait(timeout=60)
        return act(index, clients[index])

    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            return list(pool.map(run, range(len(clients))))
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def connect_all(count: int, connect: Callable[[int], ReflexClient]) -> list[ReflexClient]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(connect, range(count)))


def handled_by_every_worker(stack: Stack, handler: str, before: list[dict]) -> None:
    """Each worker served some of the calls (the requests really were spread)."""
    after = worker_metrics(stack)
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        count = metric([new], "sms2fa_handler_seconds_count", handler=handler)
        count -= metric([old], "sms2fa_handler_seconds_count", handler=handler)
        assert count > 0, f"worker {index} served no {handler!r}: the connections were not spread"


def deltas(stack: Stack, before: list[dict], wanted: dict[str, tuple[str, dict[str, str]]], total: int) -> dict:
    """Metric increases since `before`, read again until they add up to `total` (every call was handled: a call's
    updates may still be on their way when its client stops listening) or 30 seconds pass."""
    deadline = time.monotonic() + 30
    while True:
        after = worker_metrics(stack)
        found = {
            key: metric(after, name, **labels) - metric(before, name, **labels)
            for key, (name, labels) in wanted.items()
        }
        if sum(found.values()) >= total or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def settle(plivo: LocalPlivo, seconds: float = 1.5) -> int:
    """The number of texts once nothing new has arrived for a while."""
    count = -1
    while count != len(plivo.messages):
        count = len(plivo.messages)
        time.sleep(seconds)
    return count


def new_phone() -> str:
    return f"+1415555{secrets.randbelow(10_000):04d}"


def test_twenty_parallel_resends_send_one_text(
    stack: Stack, backend: Services, plivo: LocalPlivo, seen_tokens: set[str]
) -> None:
    email = f"stack-resend-{secrets.token_hex(4)}@example.com"
    create_user(backend, email, phone=new_phone())
    pending = backend.accounts.log_in(email, PASSWORD).issued
    assert pending is not None
    seen_tokens.add(pending.token)
    before = worker_metrics(stack)
    clients = connect_all(20, lambda _n: signed_in_client(stack, pending.token, "/2fa-challenge"))
    at_once(
        clients, lambda _i, c: c.call(handler_name(ChallengeState, "resend"), {"form_data": {}}, path="/2fa-challenge")
    )
    assert settle(plivo) == 1
    handled_by_every_worker(stack, "resend", before)


def test_thirty_parallel_wrong_passwords_try_exactly_ten(stack: Stack, backend: Services) -> None:
    email = f"stack-guess-{secrets.token_hex(4)}@example.com"
    create_user(backend, email)
    limit = backend.settings.login_max_failures_per_account
    before = worker_metrics(stack)

    def connect(_n: int) -> ReflexClient:
        client = ReflexClient(stack.url).__enter__()
        client.call(HYDRATE, {"vars": {}}, path="/login", quiet=0.3)
        return client

    form = {"form_data": {"email": email, "password": "not-the-password"}}
    at_once(connect_all(30, connect), lambda _i, c: c.call(handler_name(LoginState, "log_in"), form, path="/login"))
    outcomes = {
        "tried": ("sms2fa_logins_total", {"outcome": "invalid_credentials"}),
        "throttled": ("sms2fa_logins_total", {"outcome": "throttled"}),
    }
    assert deltas(stack, before, outcomes, 30) == {"tried": limit, "throttled": 30 - limit}
    handled_by_every_worker(stack, "log_in", before)


def test_twenty_five_users_from_one_address_get_exactly_twenty_texts(
    stack: Stack, backend: Services, plivo: LocalPlivo
) -> None:
    """Every login texts a code (the challenge page's on_load sends it); the per-IP hourly limit (20) holds for 25
    simultaneous logins from one address, each claiming another address in X-Forwarded-For: nginx appends the
    address it saw, the one the app trusts."""
    limit = backend.settings.otp_sends_per_hour_per_ip
    users = [f"stack-ip-{n}-{secrets.token_hex(3)}@example.com" for n in range(limit + 5)]
    phones = set()
    while len(phones) < len(users):
        phones.add(new_phone())
    for email, phone in zip(users, sorted(phones), strict=True):
        create_user(backend, email, phone=phone)

    def connect(n: int) -> ReflexClient:
        client = ReflexClient(stack.url, headers={"X-Forwarded-For": f"203.0.113.{n}"}).__enter__()
        client.call(HYDRATE, {"vars": {}}, path="/login", quiet=0.3)
        return client

    def log_in_and_open_the_challenge(index: int, client: ReflexClient) -> Update:
        form = {"form_data": {"email": users[index], "password": PASSWORD}}
        client.call(handler_name(LoginState, "log_in"), form, path="/login", timeout=60)
        return client.call(handler_name(ChallengeState, "load"), {}, path="/2fa-challenge", timeout=60)

    at_once(connect_all(len(users), connect), log_in_and_open_the_challenge)
    assert settle(plivo) == limit


def test_thirty_parallel_wrong_recovery_codes_are_judged_exactly_to_the_lockout(
    stack: Stack, backend: Services, seen_tokens: set[str]
) -> None:
    """The lockout counts guesses across workers: exactly OTP_LOCKOUT_THRESHOLD are judged, one lock starts,
    the other guesses are refused unjudged."""
    email = f"stack-lock-{secrets.token_hex(4)}@example.com"
    user = create_user(backend, email, phone=new_phone())
    assert user.id is not None
    backend.recovery.generate(user.id)
    pending = backend.accounts.log_in(email, PASSWORD).issued
    assert pending is not None
    seen_tokens.add(pending.token)
    threshold = backend.settings.otp_lockout_threshold

    def connect(_n: int) -> ReflexClient:
        client = signed_in_client(stack, pending.token, "/2fa-challenge")
        client.call(handler_name(ChallengeState, "use_method"), {"method": "recovery"}, path="/2fa-challenge")
        return client

    before = worker_metrics(stack)
    guess = {"form_data": {"code": "zzzzz-zzzzz"}}
    answers: list[Update] = at_once(
        connect_all(30, connect),
        lambda _i, c: c.call(handler_name(ChallengeState, "verify"), guess, path="/2fa-challenge"),
    )
    outcomes = {
        "judged wrong": ("sms2fa_verifies_total", {"factor": "recovery", "outcome": "wrong"}),
        "locked": ("sms2fa_verifies_total", {"factor": "recovery", "outcome": "locked"}),
    }
    assert deltas(stack, before, outcomes, 30) == {"judged wrong": threshold, "locked": 30 - threshold}
    assert (
        metric(worker_metrics(stack), "sms2fa_lockouts_total", factor="recovery")
        - metric(before, "sms2fa_lockouts_total", factor="recovery")
        == 1
    )
    assert len(answers) == 30
    handled_by_every_worker(stack, "verify", before)
