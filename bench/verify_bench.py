"""Forward-auth's verify endpoint on one production worker, next to a static 200 of the same server in the same run.

    python bench/verify_bench.py [--seconds S] [--rounds R] [--clients C] [--smoke] [--json FILE]

The app runs as production does (`reflex run --env prod --backend-only`, one worker, a real Redis server, SQLite)
with one two-factor session; a keep-alive HTTP client asks `GET /api/auth/verify` as nginx's auth_request does
(X-Original-URL and the session cookie) and, alternating round by round, `GET /healthz` (the baseline: the same
server's cheapest 200). Two phases each: throughput with C connections, latency (p50, p99) with one. Targets
(issue 22): verify p99 <= 2 ms and >= 1,000 verifies/s; the ratios to the baseline are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sms2fa_app.backend.assurance import Amr  # noqa: E402
from sms2fa_app.backend.identity.session_cookie import cookie_policy  # noqa: E402
from sms2fa_app.backend.services import build_services  # noqa: E402
from sms2fa_app.config import load_settings  # noqa: E402
from tests.support.app_server import RunningApp, app_environment, migrate, project_mirror, start_app  # noqa: E402
from tests.support.factories import create_user  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

PROTECTED = "https://wiki.example.com/page?id=1"
SETTINGS = {
    "APP_ENV": "production",
    "TRUSTED_PROXY_HOPS": "1",
    "OTP_ALLOWED_COUNTRIES": "US",
    "PHONE_LINE_TYPES": "mobile",
    "PHONE_LOOKUP_ON_ERROR": "deny",
    "OPERATOR_EMAIL": "ops@bench.example",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": "2525",
    "SMTP_SECURITY": "none",
    "SMTP_FROM": "sms2fa@bench.example",
    "FORWARD_AUTH_RULES": "two_factor wiki.example.com",
}
P99_TARGET_MS = 2.0
RATE_TARGET = 1000.0


@dataclass
class Phase:
    """One timed run of one route: how many answers, how fast, how long each took."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(connection: socket.socket, pending: bytearray) -> int:
    """Read one whole answer (status line, headers, Content-Length body); its status."""
    while b"\r\n\r\n" not in pending:
        pending += connection.recv(65536)
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += connection.recv(65536)
    pending[:] = rest[length:]
    return int(head.split(b" ", 2)[1])


def run_phase(port: int, request: bytes, clients: int, seconds: float, expect: int) -> Phase:
    """`clients` keep-alive connections asking `request` back to back for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending = bytearray()
            while (started := time.perf_counter()) < deadline:
                connection.sendall(request)
                status = _read_answer(connection, pending)
                latencies[index].append(time.perf_counter() - started)
                if status != expect:
                    raise SystemExit(f"answer {status}, expected {expect}")

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(value for values in latencies for value in values)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    return Phase(len(every), elapsed, 1000 * statistics.median(every), 1000 * p99)


def start_worker(work: Path, redis_url: str) -> tuple[RunningApp, int]:
    """The app's backend, one production worker, migrated, answering /healthz."""
    environment = app_environment(
        work,
        redis_url=redis_url,
        plivo_url="http://127.0.0.1:9",
        plivo_auth=("MABENCHBENCHBENCH001", "t"),
        settings=SETTINGS,
        host="localhost",  # production wants APP_URL and a WebAuthn origin on a domain name
    )
    port = int(environment["REFLEX_BACKEND_PORT"])
    project = project_mirror(work / "project")
    migrate(project, environment, work / "migrate.log")
    app = start_app(project, environment, work / "app.log", backend_only=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise SystemExit(f"the app exited:\n{app.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(_request("/healthz", {"Connection": "close"}))
                if _read_answer(probe, bytearray()) == 200:
                    return app, port
        except OSError:
            pass
        time.sleep(0.5)
    app.stop()
    raise SystemExit("the app did not answer /healthz within 180 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per phase (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each timing both routes (default 5)")
    parser.add_argument("--clients", type=int, default=4, help="connections in the throughput phase (default 4)")
    parser.add_argument("--smoke", action="store_true", help="one short round: does it run (no targets)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    options = parser.parse_args()
    if options.smoke:
        options.seconds, options.rounds = 0.5, 1

    with RedisServer() as server, tempfile.TemporaryDirectory(prefix="verify-bench-") as work:
        app, port = start_worker(Path(work), server.url)
        try:
            services = build_services(load_settings(app.environment, env_file=None))
            user = create_user(services, "bench@example.com", phone="+16502531212")
            token = services.sessions.create(int(user.id or 0), (Amr.PWD, Amr.SMS)).token
            cookie = f"{cookie_policy(services.settings).session_name}={token}"
            verify = _request("/api/auth/verify", {"X-Original-URL": PROTECTED, "Cookie": cookie})
            baseline = _request("/healthz", {})
            run_phase(port, verify, 1, 0.3, 200)  # warm up: connections, the cache entry, the code paths
            run_phase(port, baseline, 1, 0.3, 200)
            phases: dict[str, list[Phase]] = {
                name: [] for name in ("verify_rate", "baseline_rate", "verify", "baseline")
            }
            for _round in range(options.rounds):
                phases["verify_rate"].append(run_phase(port, verify, options.clients, options.seconds, 200))
                phases["baseline_rate"].append(run_phase(port, baseline, options.clients, options.seconds, 200))
                phases["verify"].append(run_phase(port, verify, 1, options.seconds, 200))
                phases["baseline"].append(run_phase(port, baseline, 1, options.seconds, 200))
        finally:
            app.stop()

    def median(name: str, key: str) -> float:
        return statistics.median(getattr(phase, key) for phase in phases[name])

    rate, base_rate = median("verify_rate", "per_second"), median("baseline_rate", "per_second")
    p50, p99 = median("verify", "p50_ms"), median("verify", "p99_ms")
    base_p50, base_p99 = median("baseline", "p50_ms"), median("baseline", "p99_ms")
    print(f"one worker, {os.cpu_count()} cores, {options.rounds} rounds x {options.seconds:.1f} s per phase")
    print(f"{'route':<34}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'GET /api/auth/verify (2FA, cached)':<34}{rate:>10.0f}{p50:>9.2f}{p99:>9.2f}")
    print(f"{'GET /healthz (baseline)':<34}{base_rate:>10.0f}{base_p50:>9.2f}{base_p99:>9.2f}")
    print(f"{'ratio verify / baseline':<34}{rate / base_rate:>10.2f}{p50 / base_p50:>9.2f}{p99 / base_p99:>9.2f}")
    checks = {
        f"p99 <= {P99_TARGET_MS} ms": p99 <= P99_TARGET_MS,
        f">= {RATE_TARGET:.0f} verifies/s": rate >= RATE_TARGET,
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISS'}] {name}")
    if options.json:
        summary = {name: [asdict(phase) for phase in values] for name, values in phases.items()}
        options.json.write_text(json.dumps({"checks": checks, "phases": summary}, indent=1))
    return 0 if options.smoke or all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
