"""The send windows on a real Redis 6.2: bucketed hours that never let a cap through early, whatever the timing
of a burst around a bucket's edge (infra/bucket_windows.py), and what one send or one check costs the server."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import redis

from sms2fa_app.backend.factors.sms_codes import CodeSent, OtpService, Purpose, SendRefusal, SendRefused, VerifyStatus
from sms2fa_app.backend.factors.sms_policy import SEND_WINDOW_SECONDS
from sms2fa_app.backend.infra.bucket_windows import BUCKETS, BucketLimiter
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.limits import Counter, LimitReached
from tests.conftest import make_settings
from tests.support.otp_calls import request
from tests.support.recording_gateway import RecordingGateway
from tests.support.send_windows import BUCKET_SECONDS, sends_counted

PHONE_CAP = 3
HOUR = SEND_WINDOW_SECONDS
# What the send script may ask of the server for one text to a number, IP and country already counted this hour:
# a read per window (cooldown, user, phone, IP, country, global) and the country's block, a write per window
# (and one TTL + EXPIRE for the user's new bucket), the code's HSET + EXPIRE. Before the buckets: 23 or 24.
SEND_COMMANDS = 18  # 17, plus the TTL read that keeps a lagging worker from shortening a window
# A right code of a user with no failures counted: the lockout's state, the code, the code's consumption (2).
# Before: 9 (a lockout slot taken and the lockout cleared on every check).
VERIFY_COMMANDS = 4
# EVALSHA, its sha, the key count, 8 keys (code, block, 6 windows) and 8 arguments. Before: 37.
SEND_ARGUMENTS = 19


@pytest.fixture
def otp(tmp_path: Path, real_redis: redis.Redis, clock: FakeClock) -> OtpService:
    """Only the number's window is tight (3 an hour); the user, IP and global ones are out of the way."""
    settings = make_settings(
        tmp_path,
        OTP_SENDS_PER_HOUR_PER_PHONE=str(PHONE_CAP),
        OTP_SENDS_PER_HOUR_PER_USER="1000",
        OTP_SENDS_PER_HOUR_PER_IP="1000",
        OTP_SENDS_PER_HOUR_GLOBAL="1000",
        POW_AFTER_SENDS_PER_HOUR_PER_IP="0",
        POW_AFTER_COUNTRY_CAP_PERCENT="0",
    )
    return OtpService(real_redis, RecordingGateway(), clock, settings)


def _send(otp: OtpService, user: int) -> CodeSent | SendRefused:
    return request(otp, user=user, session=user)  # a new user each time: no cooldown in the way


def _exact_wait(sent_at: list[float], at: float) -> float:
    """Seconds until an exact sliding hour would have room again (0: it has now)."""
    in_hour = sorted(t for t in sent_at if t > at - HOUR)
    return in_hour[len(in_hour) - PHONE_CAP] + HOUR - at if len(in_hour) >= PHONE_CAP else 0.0


def _most_in_any_hour(times: list[float]) -> int:
    """The most sends inside any span of one hour (the exact sliding window's count)."""
    return max((sum(1 for t in times if start <= t < start + HOUR) for start in times), default=0)


@pytest.mark.parametrize("burst_offset", [-0.001, 0.0, 0.001, BUCKET_SECONDS / 2])
def test_a_burst_at_a_bucket_edge_never_exceeds_the_cap_in_any_hour(
    otp: OtpService, clock: FakeClock, burst_offset: float
) -> None:
    """A burst just before, at or just after a bucket's edge, then tries at and around every later edge for three
    hours: no hour ever holds more than the cap (margin 0), and each refusal's wait is the bucket model's, which
    ends at most one bucket after the exact sliding hour would."""
    start = clock.now() - clock.now() % BUCKET_SECONDS + BUCKET_SECONDS
    clock.current = start + burst_offset
    users = itertools.count(1)
    sent_at: list[float] = []
    for _ in range(PHONE_CAP + 2):
        result = _send(otp, next(users))
        if isinstance(result, CodeSent):
            sent_at.append(clock.now())
    assert len(sent_at) == PHONE_CAP
    tries = sorted(
        start + edge * BUCKET_SECONDS + nudge
        for edge in range(1, 3 * BUCKETS + 1)
        for nudge in (-0.001, 0.0, 0.001, BUCKET_SECONDS / 3)
    )
    for at in (t for t in tries if t > clock.now()):
        clock.current = at
        result = _send(otp, next(users))
        if isinstance(result, CodeSent):
            sent_at.append(at)
            continue
        assert result.reason is SendRefusal.PHONE_LIMIT
        exact = _exact_wait(sent_at, at)  # what an exact sliding hour would answer
        assert exact - 1 <= result.retry_after_seconds <= exact + BUCKET_SECONDS + 1
    assert _most_in_any_hour(sent_at) == PHONE_CAP  # never more, in any hour, however the tries were timed
    assert len(sent_at) >= 3 * PHONE_CAP  # and the window kept sliding: about three hours' worth went out


def test_the_wait_told_is_exact_and_a_full_window_opens_then(otp: OtpService, clock: FakeClock) -> None:
    for user in range(1, PHONE_CAP + 1):
        assert isinstance(_send(otp, user), CodeSent)
        clock.advance(700)  # the sends land in different buckets
    refused = _send(otp, 50)
    assert isinstance(refused, SendRefused) and refused.reason is SendRefusal.PHONE_LIMIT
    clock.advance(refused.retry_after_seconds - 1)
    assert _send(otp, 51).reason is SendRefusal.PHONE_LIMIT  # type: ignore[union-attr]
    clock.advance(1)
    assert isinstance(_send(otp, 52), CodeSent)


def test_a_window_keeps_only_the_buckets_it_counts_and_expires_with_its_last(
    otp: OtpService, clock: FakeClock, real_redis: redis.Redis
) -> None:
    phone_key = next(iter(real_redis.scan_iter("otp:sends:phone:*")), None)
    assert phone_key is None
    for user in range(1, 2 * BUCKETS + 1):
        assert isinstance(_send(otp, user), CodeSent)
        clock.advance(5 * BUCKET_SECONDS)  # one send every five buckets, for ten hours: under the cap
    (phone_key,) = real_redis.scan_iter("otp:sends:phone:*")
    assert real_redis.hlen(phone_key) <= BUCKETS // 5 + 1  # the stale buckets were dropped on the way
    assert sends_counted(real_redis, phone_key) <= PHONE_CAP
    assert 0 < real_redis.ttl(phone_key) <= HOUR + BUCKET_SECONDS + 1


def test_one_send_and_one_check_are_one_call_each_and_a_small_one(otp: OtpService, real_redis: redis.Redis) -> None:
    """The whole work of the scripts, counted by the server: commands run inside them and the arguments sent."""
    assert isinstance(_send(otp, 1), CodeSent)  # the number, IP, country and global windows exist now
    code = otp._gateway.sent[-1].code  # type: ignore[attr-defined]
    assert otp.verify_code(purpose=Purpose.LOGIN, user_id=1, session_id=1, code=code).status is VerifyStatus.OK
    real_redis.config_resetstat()
    real_redis.config_set("slowlog-log-slower-than", 0)
    real_redis.slowlog_reset()
    try:
        assert isinstance(_send(otp, 2), CodeSent)
        commands = [_text(entry["command"]) for entry in real_redis.slowlog_get(10)]
        (evalsha,) = [command for command in commands if command.startswith("EVALSHA")]
    finally:
        real_redis.config_set("slowlog-log-slower-than", 10000)
    send_commands = _commands_run_inside_scripts(real_redis)
    zadds = _commands_by_name(real_redis).get("zadd", 0)
    code = otp._gateway.sent[-1].code  # type: ignore[attr-defined]
    real_redis.config_resetstat()
    assert otp.verify_code(purpose=Purpose.LOGIN, user_id=2, session_id=2, code=code).status is VerifyStatus.OK
    verify_commands = _commands_run_inside_scripts(real_redis)
    measured = {
        "send commands": send_commands,
        "send arguments": _arguments(evalsha),
        "verify commands": verify_commands,
    }
    budget = {"send commands": SEND_COMMANDS, "send arguments": SEND_ARGUMENTS, "verify commands": VERIFY_COMMANDS}
    assert {name: figure for name, figure in measured.items() if figure > budget[name]} == {}, measured
    assert zadds == 1  # the cooldown's: no sorted set grows with the hour's traffic any more


def _arguments(command: str) -> int:
    """A SLOWLOG entry's argument count: it shows 31 and then "... (N more arguments)"."""
    words = command.split()
    if "more arguments)" in command:
        return 31 + int(words[-3].lstrip("("))
    return len(words)


def _text(command: str | bytes) -> str:
    return command.decode() if isinstance(command, bytes) else command


def _commands_by_name(client: redis.Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in client.info("commandstats").items()}


def _commands_run_inside_scripts(client: redis.Redis) -> int:
    """Commands the server ran since the last CONFIG RESETSTAT, other than the script calls and this look."""
    return sum(
        calls
        for name, calls in _commands_by_name(client).items()
        if name not in {"evalsha", "config", "info", "slowlog"}
    )


def test_an_hour_kept_in_the_old_sorted_sets_still_counts_after_an_upgrade(
    otp: OtpService, clock: FakeClock, real_redis: redis.Redis
) -> None:
    """Windows written by the sliding-window code before the buckets (sorted sets of send times) are moved into
    buckets by the first send that reads them: the sends of the last hour still count, older ones do not."""
    assert isinstance(_send(otp, 1), CodeSent)  # the number's window, to find its key
    (phone_key,) = real_redis.scan_iter("otp:sends:phone:*")
    now = clock.now()
    real_redis.delete(phone_key)
    real_redis.zadd(phone_key, {"old": now - HOUR - 10, "a": now - 1000, "b": now - 10})  # two in the hour
    assert isinstance(_send(otp, 2), CodeSent)  # the third of the hour
    assert real_redis.type(phone_key) == "hash" and sends_counted(real_redis, phone_key) == PHONE_CAP
    assert _send(otp, 3).reason is SendRefusal.PHONE_LIMIT  # type: ignore[union-attr]


def test_a_lookup_moves_an_old_sorted_set_window_into_buckets_and_counts_as_a_send(
    clock: FakeClock, real_redis: redis.Redis
) -> None:
    """A billed lookup (BucketLimiter, line_checks.py) reads the send windows with the send script's rule, old
    layout included: the last hour's sends still count, the lookup is counted beside them, the cap holds."""
    limiter, key, now = BucketLimiter(real_redis, clock), "otp:sends:user:9", clock.now()
    real_redis.zadd(key, {"old": now - HOUR - 10, "a": now - 1000, "b": now - 10})  # two in the hour
    window = Counter(key, 3, HOUR)
    assert limiter.check([window]) is None
    assert limiter.check_and_spend([window], None) == (None, False)  # the third of the hour
    assert real_redis.type(key) == "hash" and sends_counted(real_redis, key) == 3
    refused, paid = limiter.check_and_spend([window], None)
    assert isinstance(refused, LimitReached) and refused.retry_after_seconds > 0 and not paid
    assert isinstance(limiter.check([window]), LimitReached) and sends_counted(real_redis, key) == 3


def test_a_worker_whose_clock_lags_never_shortens_a_windows_life(real_redis: redis.Redis) -> None:
    """Two workers 2 s apart across a bucket edge: the lagging one creates the previous bucket. The window must still
    live until its newest bucket stops counting, or the newest sends are forgotten early (security review)."""
    size = SEND_WINDOW_SECONDS / BUCKETS
    counter = Counter("otp:sends:phone:lagging", 3, SEND_WINDOW_SECONDS)
    ahead, behind = FakeClock(), FakeClock()
    edge = 6_000_000 * size
    ahead.current, behind.current = edge + 1, edge - 1
    assert BucketLimiter(real_redis, ahead).check_and_spend([counter], None)[0] is None
    life_needed = real_redis.ttl(counter.key)
    assert BucketLimiter(real_redis, behind).check_and_spend([counter], None)[0] is None
    assert real_redis.ttl(counter.key) >= life_needed - 1
