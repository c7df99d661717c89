"""The work of one whole login, counted: SQL statements, SQL writes, commits, Redis round trips (in the app's
processes, by bench/counting_site/sitecustomize.py), websocket frames (the simulated tab) and Plivo HTTP calls (the
local Plivo: the send, and the delivery reports it posts back). Counts do not depend on the box's speed, so
tests/bench holds them as budgets.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.load_flows import Seeded, WebsocketLogins
from tests.support.plivo_server import LocalPlivo

SITE_DIR = Path(__file__).resolve().parent / "counting_site"
COUNTED_LOGINS = 4
REPORTS_PER_TEXT = 3  # queued, sent, delivered
SETTLE_SECONDS = 2.5  # the challenge page's delivery watch polls every 2 s until the text is final


@dataclass(frozen=True)
class Budget:
    """A figure per login, its budget (tests/bench fails above it) and the count before issue 24's work."""

    name: str
    key: str
    budget: int
    before: int


# Today's counts before issue 24 (bench/load.py --smoke, one worker, state in memory), and the budgets held now
# (argon2 runs and thread hand-offs were first counted after its first session: "before" is that count).
BUDGETS = (
    # The statements one by one, and why each stays: docs/sizing.md, "What a login writes".
    Budget("SQL statements", "sql", 9, 18),
    Budget("SQL writes", "sql_writes", 3, 6),
    Budget("commits", "commits", 6, 15),
    Budget("Redis round trips", "redis", 16, 18),
    # 17, or 18 when a delivery report's status reaches a tab still on the challenge page
    Budget("websocket frames", "frames", 18, 25),
    Budget("Plivo API calls", "plivo_api", 1, 1),
    # The password's verify only: a second run (a re-hash, a dummy verify) would cost another 20 ms.
    Budget("argon2 runs", "argon2", 1, 1),
    # Each wakes a thread, then the event loop: the password step, the challenge page and the code's check (one
    # each with their lookups), the dashboard, the delivery watch, Plivo's 3 reports, the page's static files.
    Budget("thread hand-offs", "handoffs", 11, 13),
    Budget("delivery reports (HTTP into the app)", "reports", REPORTS_PER_TEXT, REPORTS_PER_TEXT),
)


def counting_environment(directory: Path, environment: dict[str, str]) -> dict[str, str]:
    """The app's environment with the counting hook loaded into each of its Python processes."""
    directory.mkdir(parents=True, exist_ok=True)
    path = environment.get("PYTHONPATH", "")
    return {**environment, "SMS2FA_BENCH_COUNTS": str(directory), "PYTHONPATH": f"{SITE_DIR}:{path}".rstrip(":")}


def app_counts(directory: Path) -> dict[str, int]:
    """The counts so far, summed over the app's live processes."""
    totals: dict[str, int] = {}
    for path in directory.glob("*.sock"):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(str(path))
                answer = b""
                while chunk := client.recv(65536):
                    answer += chunk
        except OSError:  # a process that has ended
            continue
        for name, count in json.loads(answer).items():
            totals[name] = totals.get(name, 0) + count
    return totals


async def _settled(directory: Path, plivo: LocalPlivo, reports: int) -> dict[str, int]:
    """The counts once every delivery report so far was answered and the app went quiet."""
    deadline = time.monotonic() + 30
    while sum(report["reply"] == 200 for report in plivo.reports) < reports:
        if time.monotonic() > deadline:
            raise RuntimeError("the delivery reports did not all reach the app")
        await asyncio.sleep(0.05)
    await asyncio.sleep(SETTLE_SECONDS)
    return app_counts(directory)


async def count_logins(directory: Path, logins: WebsocketLogins, plivo: LocalPlivo, users: list[Seeded]) -> dict:
    """Per login, over `users` logged in one after the other, each left to settle: the mean of each figure, and
    what the app did while idle for as long (it must be nothing, or the counts would depend on time)."""
    reports = sum(report["reply"] == 200 for report in plivo.reports)
    before = await _settled(directory, plivo, reports)
    idle = {name: count - before.get(name, 0) for name, count in (await _settled(directory, plivo, reports)).items()}
    before, api_before, frames = app_counts(directory), plivo.requests, []
    for user in users:
        frames.append(int((await logins.login(user))["frames"]))
        reports += REPORTS_PER_TEXT
        await _settled(directory, plivo, reports)
    after = app_counts(directory)
    per_login = {name: (after.get(name, 0) - before.get(name, 0)) / len(users) for name in after}
    # Frames: the median, as a delivery report that reaches a slow tab still on the challenge page adds one.
    per_login |= {"frames": statistics.median(frames), "plivo_api": (plivo.requests - api_before) / len(users)}
    per_login["reports"] = REPORTS_PER_TEXT
    return {"per_login": per_login, "idle": {name: count for name, count in idle.items() if count}}


def print_counts(measured: dict) -> list[tuple[str, bool]]:
    """Each figure beside its budget and its count before issue 24; the checks for the report."""
    per_login = measured["per_login"]
    print(f"\nwork per whole login: the last checks below ({COUNTED_LOGINS} logins one after the other, each with its")
    print("delivery reports; the mean of each count, the median of the frames)")
    checks = []
    for budget in BUDGETS:
        value = per_login.get(budget.key, 0.0)
        name = f"{budget.name} per login {value:.1f} <= {budget.budget} (before issue 24: {budget.before})"
        checks.append((name, value <= budget.budget))
    if measured["idle"]:
        print(f"  the app worked while idle (counts would depend on time): {measured['idle']}")
        checks.append(("the app idle between logins: no SQL, no Redis", False))
    return checks
