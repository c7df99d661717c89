"""OTP throughput against a real Redis server, next to a raw-Redis baseline measured in the same run.

    python bench/otp_bench.py [--cycles N] [--rounds R]

One cycle is request_code + verify_code (the right code) through OtpService with a no-op SMS gateway;
the baseline cycle is SET key code EX 300 + GETDEL key on the same kind of client. Round trips are
counted by a connection wrapper (one per command batch written). Targets: verify 1 round trip,
request 1, OTP cycles/s >= 0.55 x baseline cycles/s (issue 24). Limits are raised so nothing is refused.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sms2fa_app.backend.factors.sms_codes import CodeSent, OtpService, Purpose, VerifyStatus  # noqa: E402
from sms2fa_app.backend.infra.clock import SystemClock  # noqa: E402
from sms2fa_app.config import load_settings  # noqa: E402
from tests.support.redis_server import RedisServer, RoundTripCounter, counting_client  # noqa: E402

PHONE = "+16502531212"
HIGH = str(10**9)


class NoopGateway:
    """Sends nothing; keeps the last text so the bench can type the code back."""

    last_text = ""

    def send(self, to_e164: str, text: str) -> str:
        self.last_text = text
        return "noop"


@dataclass
class Timing:
    seconds: float = 0.0
    operations: int = 0
    round_trips: int = 0
    cpu_seconds: float = 0.0  # this process's and the Redis server's CPU time over the whole run (not per part)

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    @property
    def micros(self) -> float:
        return 1e6 * self.seconds / self.operations if self.operations else 0.0

    @property
    def trips(self) -> float:
        return self.round_trips / self.operations if self.operations else 0.0


def cpu_now(client) -> float:
    """CPU seconds used so far by this process and by the Redis server (one INFO call, outside any timing)."""
    server = client.info("cpu")
    return time.process_time() + server["used_cpu_user"] + server["used_cpu_sys"]


def run_baseline(client, counter: RoundTripCounter, cycles: int) -> Timing:
    timing = Timing()
    cpu_started = cpu_now(client)
    counter.reset()
    started = time.perf_counter()
    for index in range(cycles):
        key = f"bench:raw:{index}"
        client.set(key, f"{secrets.randbelow(10**6):06d}", ex=300)
        client.getdel(key)
    timing.seconds = time.perf_counter() - started
    timing.operations = cycles
    timing.round_trips = counter.count
    timing.cpu_seconds = cpu_now(client) - cpu_started
    return timing


def run_otp(otp: OtpService, gateway: NoopGateway, counter: RoundTripCounter, cycles: int, first_user: int):
    request, verify, cycle = Timing(), Timing(), Timing()
    cpu_started = cpu_now(otp._redis)
    for user in range(first_user, first_user + cycles):
        counter.reset()
        t0 = time.perf_counter()
        sent = otp.request_code(purpose=Purpose.LOGIN, user_id=user, session_id=user, phone=PHONE, client_ip="10.0.0.1")
        t1 = time.perf_counter()
        request.round_trips += counter.count
        code = gateway.last_text.split(" code is ", 1)[1][:6]
        counter.reset()
        t2 = time.perf_counter()
        result = otp.verify_code(purpose=Purpose.LOGIN, user_id=user, session_id=user, code=code)
        t3 = time.perf_counter()
        verify.round_trips += counter.count
        if not isinstance(sent, CodeSent) or result.status is not VerifyStatus.OK:
            raise SystemExit(f"unexpected result: {sent} / {result}")
        request.seconds += t1 - t0
        verify.seconds += t3 - t2
    for timing in (request, verify):
        timing.operations = cycles
    cycle.seconds = request.seconds + verify.seconds
    cycle.operations = cycles
    cycle.round_trips = request.round_trips + verify.round_trips
    cycle.cpu_seconds = cpu_now(otp._redis) - cpu_started
    return request, verify, cycle


def load_average() -> str:
    """The machine's 1-minute load average: the wall-clock ratio is only comparable between quiet runs."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000, help="cycles per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, each timing both back to back (default 7)")
    options = parser.parse_args()

    with RedisServer() as server, tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(
            {
                "DATA_DIR": data_dir,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "OTP_SENDS_PER_HOUR_PER_USER": HIGH,
                "OTP_SENDS_PER_HOUR_PER_PHONE": HIGH,
                "OTP_SENDS_PER_HOUR_PER_IP": HIGH,
                "OTP_SENDS_PER_HOUR_GLOBAL": HIGH,
                "SMS_COUNTRY_CAP_DEFAULT_PER_HOUR": HIGH,
                "POW_AFTER_SENDS_PER_HOUR_PER_IP": "0",  # one client sends every code: no pressure in a benchmark
                "POW_AFTER_COUNTRY_CAP_PERCENT": "0",
            },
            env_file=None,
        )
        client, counter = counting_client(server.url)
        gateway = NoopGateway()
        otp = OtpService(client, gateway, SystemClock(), settings)
        version = client.info("server")["redis_version"]

        run_baseline(client, counter, 200)  # warm up: connection, script cache
        run_otp(otp, gateway, counter, 200, first_user=10**6)
        baselines, otps = [], []
        started = time.perf_counter()
        for round_index in range(options.rounds):
            baselines.append(run_baseline(client, counter, options.cycles))
            otps.append(run_otp(otp, gateway, counter, options.cycles, first_user=round_index * options.cycles))
        elapsed = time.perf_counter() - started
        client.close()

    def median_of(values) -> float:
        return statistics.median(list(values))

    def median(timings: list[Timing]) -> Timing:
        return sorted(timings, key=lambda t: t.per_second)[len(timings) // 2]

    baseline = median(baselines)
    request = median([o[0] for o in otps])
    verify = median([o[1] for o in otps])
    cycle = median([o[2] for o in otps])
    # each round measures both back to back, so the per-round ratio cancels the machine's drift
    ratios = [o[2].per_second / b.per_second for o, b in zip(otps, baselines, strict=True)]
    ratio = statistics.median(ratios)
    # the same ratio in CPU time (this process + the Redis server): what a loaded machine's waits do not change
    cpu_ratio = statistics.median(b.cpu_seconds / o[2].cpu_seconds for o, b in zip(otps, baselines, strict=True))

    print(f"Redis {version} on 127.0.0.1, {options.rounds} rounds x {options.cycles} cycles ({elapsed:.1f} s)")
    print()
    print(f"{'operation':<34}{'ops/s':>10}{'µs/op':>10}{'round trips/op':>17}")
    rows = [
        ("raw SET EX + GETDEL (baseline)", baseline),
        ("otp request + verify (cycle)", cycle),
        ("  request_code", request),
        ("  verify_code", verify),
    ]
    for name, timing in rows:
        print(f"{name:<34}{timing.per_second:>10.0f}{timing.micros:>10.1f}{timing.trips:>17.2f}")
    print()
    spread = f"{min(ratios):.2f}..{max(ratios):.2f}"
    print(f"ratio otp cycle / baseline cycle: {ratio:.2f} (median of {len(ratios)} rounds, {spread}; target >= 0.55)")
    cycles = [o[2] for o in otps]
    cpu_micros = [1e6 * median_of(t.cpu_seconds / t.operations for t in runs) for runs in (baselines, cycles)]
    print(
        f"the same in CPU time (client + Redis server; not a target): {cpu_ratio:.2f}, {cpu_micros[0]:.0f} µs per "
        f"baseline cycle, {cpu_micros[1]:.0f} µs per otp cycle; load average {load_average()}"
    )
    checks = {
        "verify = 1 round trip": verify.trips == 1,
        "request = 1 round trip": request.trips == 1,
        "ratio >= 0.55": ratio >= 0.55,
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISS'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
