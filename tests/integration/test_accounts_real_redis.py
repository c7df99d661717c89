"""Sign-up, login throttling and sessions with the backend on a real Redis server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.services import build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import PASSWORD
from tests.support.recording_gateway import RecordingGateway


def test_login_throttle_on_real_redis(tmp_path: Path, real_redis: redis.Redis, database: Database) -> None:
    clock = FakeClock()
    services = build_services(
        make_settings(tmp_path, LOGIN_MAX_FAILURES_PER_ACCOUNT="5", EMAIL_VERIFICATION_REQUIRED="false"),
        clock=clock,
        redis_client=real_redis,
        database=database,
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
    )
    assert services.accounts.sign_up("ada@example.com", PASSWORD, PASSWORD).issued is not None
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(
            pool.map(lambda n: services.accounts.log_in("ada@example.com", f"wrong {n}").outcome, range(12))
        )
    # a slot is taken before hashing, so parallel guesses get exactly the quota and the rest wait
    assert outcomes.count(LoginOutcome.INVALID_CREDENTIALS) == 5
    assert outcomes.count(LoginOutcome.THROTTLED) == 7
    throttled = services.accounts.log_in("ada@example.com", PASSWORD)
    assert throttled.outcome is LoginOutcome.THROTTLED and throttled.retry_after_seconds > 0
    clock.advance(services.settings.login_window_seconds)
    result = services.accounts.log_in("ada@example.com", PASSWORD)
    assert result.outcome is LoginOutcome.AUTHENTICATED
    assert services.sessions.resolve(result.issued.token).is_authenticated
    assert not [key for key in real_redis.keys("*") if "ada" in key]
