"""Failed logins against a real Redis: a stranger failing from many addresses cannot lock the owner out.

The throttle counts per account and network (IPv4 /24, IPv6 /64) and per IP; past a threshold of failures on
the account from anywhere, every attempt needs a proof of work, which the owner's browser solves."""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from sqlmodel import SQLModel

from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.infra.pow import solve
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway

EMAIL = "owner@example.com"
OWNER_IP = "192.0.2.10"
PER_NETWORK = 10
POW_AFTER = 5


@pytest.fixture
def services(tmp_path: Path, real_redis_server) -> Iterator[Services]:
    settings = make_settings(
        tmp_path,
        LOGIN_MAX_FAILURES_PER_ACCOUNT=str(PER_NETWORK),
        LOGIN_MAX_FAILURES_PER_IP="50",
        POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT=str(POW_AFTER),
        POW_AFTER_LOGIN_FAILURES_PER_IP="20",
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'pressure.db'}")
    SQLModel.metadata.create_all(engine)
    client = redis.Redis(
        connection_pool=redis.BlockingConnectionPool.from_url(
            real_redis_server.url, max_connections=32, decode_responses=True
        )
    )
    client.flushall()
    yield build_services(
        settings, redis_client=client, database=Database(engine), hasher=FAST_HASHER, gateway=RecordingGateway()
    )
    client.close()


def attempt(services: Services, ip: str, password: str = "wrong password", *, solved: bool = True) -> LoginOutcome:
    """One login as a browser makes it: with a freshly solved proof of work (or none)."""
    proof = solve(services.pow.challenge()) if solved else ""
    return services.accounts.log_in(EMAIL, password, ip, "test", proof).outcome


def test_the_owner_gets_in_from_their_network_while_an_attacker_fails_from_many(services: Services) -> None:
    create_user(services, EMAIL)
    networks = [f"198.51.{n}.{host}" for n in range(12) for host in (1, 2)]  # 12 networks, 2 addresses each
    stop = threading.Event()
    outcomes: list[LoginOutcome] = []
    lock = threading.Lock()

    def attacker(offset: int) -> None:
        index = offset
        while not stop.is_set() and index < offset + 60:
            outcome = attempt(services, networks[index % len(networks)])
            with lock:
                outcomes.append(outcome)
            index += 1

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(attacker, offset * 7) for offset in range(4)]
        while len(outcomes) < 3 * POW_AFTER:  # the account is under pressure now
            stop.wait(0.01)
        assert attempt(services, OWNER_IP, PASSWORD, solved=False) is LoginOutcome.PROOF_REQUIRED
        owner = attempt(services, OWNER_IP, PASSWORD)  # the owner's browser solves the proof
        stop.set()
        for future in futures:
            future.result()

    assert owner is LoginOutcome.AUTHENTICATED
    tally = Tally(outcomes)
    assert LoginOutcome.AUTHENTICATED not in tally and tally[LoginOutcome.INVALID_CREDENTIALS] >= POW_AFTER
    assert attempt(services, "203.0.113.99", PASSWORD) is LoginOutcome.AUTHENTICATED  # and from anywhere else


def test_each_network_gets_its_quota_then_is_throttled_and_a_proof_pays_for_one_attempt(services: Services) -> None:
    create_user(services, EMAIL)
    for host in range(PER_NETWORK):  # ten addresses of one /24 share its quota
        assert attempt(services, f"203.0.113.{host}") is LoginOutcome.INVALID_CREDENTIALS
    assert attempt(services, "203.0.113.250", PASSWORD) is LoginOutcome.THROTTLED  # even the right password
    for host in range(PER_NETWORK):  # one /64 is one network too, whatever the address
        assert attempt(services, f"2001:db8:1:2::{host + 1:x}") is LoginOutcome.INVALID_CREDENTIALS
    assert attempt(services, "2001:db8:1:2:ffff::1") is LoginOutcome.THROTTLED
    assert attempt(services, "2001:db8:1:3::1", solved=False) is LoginOutcome.PROOF_REQUIRED  # account-wide

    payload = solve(services.pow.challenge())
    assert services.accounts.log_in(EMAIL, "wrong", "2001:db8:1:3::1", "", payload).outcome is (
        LoginOutcome.INVALID_CREDENTIALS
    )
    reused = services.accounts.log_in(EMAIL, PASSWORD, "2001:db8:1:3::1", "", payload)
    assert reused.outcome is LoginOutcome.PROOF_REQUIRED  # a solution is single use
    assert services.accounts.log_in(EMAIL, PASSWORD, OWNER_IP, "", "bm90IGEgcHJvb2Y=").outcome is (
        LoginOutcome.PROOF_REQUIRED  # a forged payload is no proof
    )
    assert attempt(services, OWNER_IP, PASSWORD) is LoginOutcome.AUTHENTICATED


def test_parallel_attempts_from_one_network_are_evaluated_exactly_its_quota(services: Services) -> None:
    create_user(services, EMAIL)
    payloads = [solve(services.pow.challenge()) for _ in range(24)]
    barrier = threading.Barrier(len(payloads))

    def one(index: int) -> LoginOutcome:
        barrier.wait()
        return services.accounts.log_in(EMAIL, "wrong", f"198.18.0.{index}", "", payloads[index]).outcome

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        tally = Tally(pool.map(one, range(len(payloads))))
    assert tally[LoginOutcome.INVALID_CREDENTIALS] == PER_NETWORK
    assert tally[LoginOutcome.THROTTLED] + tally[LoginOutcome.PROOF_REQUIRED] == len(payloads) - PER_NETWORK
