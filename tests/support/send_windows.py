"""The OTP send windows as tests see them (infra/bucket_windows.py): the sends a window counts, and a filled one."""

from __future__ import annotations

import redis

from sms2fa_app.backend.factors.sms_policy import SEND_WINDOW_SECONDS
from sms2fa_app.backend.infra.bucket_windows import BUCKETS, bucket_of

# How much later than an exact sliding hour a full window can let the next send through (its strict margin).
BUCKET_SECONDS = SEND_WINDOW_SECONDS // BUCKETS


def sends_counted(client: redis.Redis, key: str) -> int:
    """The sends a bucketed window holds (all of them: a test runs within its hour)."""
    return sum(int(count) for count in client.hvals(key))


def spend_sends(client: redis.Redis, key: str, count: int, now: float) -> None:
    """`count` sends at `now` in a bucketed hour window, as the send script records them."""
    client.hincrby(key, str(bucket_of(now, SEND_WINDOW_SECONDS)), count)
    client.expire(key, 2 * SEND_WINDOW_SECONDS)
