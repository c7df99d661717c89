"""`bench/login_steps.py` in the suite: the per-step CPU table of docs/sizing.md can still be made (every step of
a login runs and is timed; the timings themselves are `make bench`'s to read, not the suite's)."""

from __future__ import annotations

from tests.bench.bench_run import run_bench

STEPS = ("password: Accounts.log_in", "challenge: OtpService.request_code", "code: SessionStore.advance", "dashboard:")


def test_the_login_steps_bench_times_every_step() -> None:
    done = run_bench("login_steps.py", "--logins", "6")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert all(step in done.stdout for step in STEPS), done.stdout
    assert "the login's backend steps" in done.stdout, done.stdout
