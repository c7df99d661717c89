"""Stops the embedded Redis server once no app process uses it.

`python -m sms2fa_app.backend.infra.redis_watchdog DATA_DIR [--grace SECONDS]` forks into the background (so
the app process that starts it does not wait) and polls CLIENT LIST about once a second. Each app process
using the server holds a connection named sms2fa-lease-<pid>, which the kernel closes when the process ends,
however it ends. After `grace` seconds without any lease, the watchdog takes the data directory's lock (no
process can take a lease meanwhile), looks once more, and sends SHUTDOWN: the server saves its dump and exits.
Then the watchdog exits too. It also exits when the server is gone, or when another watchdog already runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import redis

from sms2fa_app.backend.infra.redis_store import (
    LEASE_GRACE_SECONDS,
    LEASE_PREFIX,
    WATCHDOG_NAME,
    client_names,
    data_dir_lock,
)

POLL_SECONDS = 1.0

log = logging.getLogger("sms2fa.redis.watchdog")


def lease_count(client: redis.Redis) -> int:
    """How many app processes hold a lease on the server."""
    return sum(1 for name in client_names(client) if name.startswith(LEASE_PREFIX))


def _shutdown(client: redis.Redis) -> None:
    try:
        client.shutdown(save=True)  # the dump keeps codes, limits and lockouts for the next start
    except redis.ResponseError as error:  # the save failed: the codes and counters are short-lived anyway
        log.warning("event=embedded_redis_save_failed error=%r", str(error))
        client.shutdown(nosave=True)


def watch(data_dir: Path, grace_seconds: float = LEASE_GRACE_SECONDS, poll_seconds: float = POLL_SECONDS) -> str:
    """Run until the server is shut down or gone; return why the watchdog stopped."""
    url = f"unix://{data_dir / 'redis.sock'}"
    client = redis.Redis.from_url(url, socket_timeout=5.0, client_name=WATCHDOG_NAME)
    try:
        with data_dir_lock(data_dir):
            if client_names(client).count(WATCHDOG_NAME) > 1:  # ours is one of them
                return "another watchdog runs"
        last_lease = time.monotonic()
        while True:
            time.sleep(poll_seconds)
            try:
                if lease_count(client):
                    last_lease = time.monotonic()
                    continue
            except redis.TimeoutError:  # busy, not gone: look again
                continue
            if time.monotonic() - last_lease >= grace_seconds:
                with data_dir_lock(data_dir):
                    if not lease_count(client):
                        _shutdown(client)
                        return "no app process used the server: shut it down"
                last_lease = time.monotonic()
    except redis.ConnectionError:
        return "the server is gone"
    except OSError as error:  # the data directory went away
        return f"cannot watch: {error}"
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    """Fork into the background, then watch the server in DATA_DIR."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--grace", type=float, default=LEASE_GRACE_SECONDS)
    args = parser.parse_args(argv)
    if os.fork():
        os._exit(0)  # the starting process waits for this parent only
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    log.info("event=watchdog_started pid=%d data_dir=%s grace=%.1fs", os.getpid(), args.data_dir, args.grace)
    reason = watch(args.data_dir, args.grace)
    log.info("event=watchdog_stopped pid=%d reason=%r", os.getpid(), reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
