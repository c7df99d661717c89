"""What one second-factor verify leaves behind, written once for every factor.

The alerts read `sms2fa_verifies_total` and `sms2fa_lockouts_total` by factor and the `lockout_started` line, and
the activity log hears of every counted wrong guess. A factor that recorded its own outcome could forget one (SMS
codes once did, and were the factor the alerts could not see), so every verify ends here: the lockout wrapper
(lockout.Lockout.attempt) calls it for the factors checked in Python, and SMS codes, decided in one Lua call, call
it with the script's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sms2fa_app.backend.factors.results import GUESS_FAILURES, VerifyStatus
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.lockout")

# Told of every counted wrong guess: (user, factor, seconds of the lock in force after it, 0 for none).
FailureListener = Callable[[int, str, int], None]


def record_verify(
    user_id: int,
    factor: str,
    status: VerifyStatus,
    *,
    lock_seconds: int = 0,
    lock_started: bool = False,
    on_failure: FailureListener | None = None,
    **context: object,
) -> None:
    """Count and log one verify of `factor`: `status` is what the guess was judged (a lock it met or started does
    not change it), or LOCKED when it was refused unjudged. `lock_seconds` is the lock in force (the wait of a
    refusal, or the lock a counted failure met or started); `lock_started`: this failure started it. `context`
    adds fields to the log line (never a code, a secret or a whole phone)."""
    user_id, factor = int(user_id), str(factor)
    metrics.count_verify(factor, status.value)
    if status is VerifyStatus.LOCKED:
        log_event(
            log,
            logging.INFO,
            "verify_refused",
            user=user_id,
            factor=factor,
            status="locked",
            retry_after=lock_seconds,
            **context,
        )
        return
    if status in GUESS_FAILURES and on_failure is not None:
        on_failure(user_id, factor, int(lock_seconds))
    if status is VerifyStatus.OK:
        log_event(log, logging.INFO, "verify_ok", user=user_id, factor=factor, **context)
    elif lock_started:
        log_event(
            log,
            logging.WARNING,
            "lockout_started",
            user=user_id,
            factor=factor,
            retry_after=lock_seconds,
            **context,
        )
        metrics.count_lockout(factor)
    else:
        log_event(log, logging.INFO, "verify_failed", user=user_id, factor=factor, status=status.value, **context)
