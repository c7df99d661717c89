"""ALTCHA proof of work: challenges the widget can solve, solutions checked with the injected clock, single use
through the limits' atomic call."""

from __future__ import annotations

import base64
import json

import altcha

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.limits import Counter, ProofNeeded, WindowLimiter
from sms2fa_app.backend.infra.pow import CHALLENGE_TTL_SECONDS, ProofOfWork, solve
from tests.conftest import TEST_SECRET


def test_a_solved_challenge_is_a_proof_until_it_expires(clock: FakeClock) -> None:
    pow = ProofOfWork(TEST_SECRET, clock, difficulty=40)
    challenge = json.loads(pow.challenge())
    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256" and challenge["signature"]
    assert parameters["data"]["exp"] == int(clock.now()) + CHALLENGE_TTL_SECONDS
    payload = solve(json.dumps(challenge))
    proof = pow.check(payload)
    assert proof is not None and proof.key == f"pow:spent:{parameters['nonce']}"
    assert CHALLENGE_TTL_SECONDS <= proof.ttl_seconds <= CHALLENGE_TTL_SECONDS + 10
    clock.advance(CHALLENGE_TTL_SECONDS)
    assert pow.check(payload) is None


def test_the_work_is_about_the_difficulty(clock: FakeClock) -> None:
    pow = ProofOfWork(TEST_SECRET, clock, difficulty=200)
    counters = [json.loads(base64.b64decode(solve(pow.challenge())))["solution"]["counter"] for _ in range(5)]
    assert all(100 <= counter <= 200 for counter in counters)


def test_wrong_forged_and_malformed_payloads_are_no_proof(clock: FakeClock) -> None:
    pow = ProofOfWork(TEST_SECRET, clock, difficulty=20)
    payload = json.loads(base64.b64decode(solve(pow.challenge())))
    wrong = {**payload, "solution": {**payload["solution"], "derivedKey": "00" * 32}}
    other_server = ProofOfWork("another-secret-key-0123456789-abcdefghijkl", clock, difficulty=20)
    foreign = solve(other_server.challenge())
    unsigned = altcha.create_challenge("PBKDF2/SHA-256", 10, counter=3, data={"exp": int(clock.now()) + 60})
    self_made = altcha.Payload(unsigned, altcha.solve_challenge(unsigned)).to_base64()
    for bad in (
        "",
        "not base64!",
        base64.b64encode(b"{}").decode(),
        base64.b64encode(json.dumps(wrong).encode()).decode(),
        foreign,
        self_made,
        "A" * 5000,
        None,
        42,
    ):
        assert pow.check(bad) is None


def test_a_proof_is_spent_by_the_call_it_pays_for(redis_client, clock: FakeClock) -> None:
    pow = ProofOfWork(TEST_SECRET, clock, difficulty=20)
    limiter = WindowLimiter(redis_client, clock)
    pressed = Counter("t:pressure", limit=0, window_seconds=60, pow_at=1)
    assert limiter.check_and_hit([pressed]) is None  # the first event is free
    assert limiter.check_and_hit([pressed]) == ProofNeeded(pressed)
    proof = pow.check(solve(pow.challenge()))
    assert limiter.check_and_hit([pressed], proof) is None
    assert limiter.check_and_hit([pressed], proof) == ProofNeeded(pressed)  # single use
    assert redis_client.zcard("t:pressure") == 2
