"""The app under load for bench/load.py: its configurations, accounts seeded for the run, CPU and memory."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlmodel import Session, func, select

from bench.load_counts import counting_environment
from bench.load_flows import PASSWORD, Seeded
from sms2fa_app.backend.identity.passwords import PasswordHasher
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services, build_services
from sms2fa_app.config import load_settings
from tests.support.app_server import (
    ROOT,
    RunningApp,
    app_environment,
    migrate,
    project_mirror,
    start_app,
    wait_until_ready,
)
from tests.support.plivo_server import LocalPlivo
from tests.support.redis_server import RedisServer

HIGH = str(10**9)
# Raised for the run only: every simulated login comes from 127.0.0.1, and the bench sends thousands of codes.
RUN_SETTINGS = {
    "APP_ENV": "production",
    "PLIVO_TIMEOUT_SECONDS": "10",
    "OTP_SENDS_PER_HOUR_PER_USER": HIGH,
    "OTP_SENDS_PER_HOUR_PER_PHONE": HIGH,
    "OTP_SENDS_PER_HOUR_PER_IP": HIGH,
    "OTP_SENDS_PER_HOUR_GLOBAL": HIGH,
    "LOGIN_MAX_FAILURES_PER_IP": HIGH,
    # No proof of work and no country caps in the way of thousands of logins from one address to US numbers.
    "POW_AFTER_SENDS_PER_HOUR_PER_USER": "0",
    "POW_AFTER_SENDS_PER_HOUR_PER_IP": "0",
    "POW_AFTER_LOGIN_FAILURES_PER_IP": "0",
    "POW_AFTER_LOGIN_FAILURES_PER_ACCOUNT": "0",
    "SMS_COUNTRY_CAPS_PER_HOUR": "US=999999999",  # a cap has at most 9 digits
    "SMS_COUNTRY_CAP_DEFAULT_PER_HOUR": "999999999",
    "OPERATOR_EMAIL": "ops@load.example",  # production needs it (mail goes to the bench's local SMTP server)
    "TRUSTED_PROXY_HOPS": "0",  # production needs it: the tabs reach the app on 127.0.0.1, no proxy
    "OTP_ALLOWED_COUNTRIES": "US",  # production needs it: the bench texts US numbers only
    "PHONE_LINE_TYPES": "mobile",  # production needs both Lookup settings
    "PHONE_LOOKUP_ON_ERROR": "deny",
}
APP_HOST = "localhost"  # as the e2e tests: production wants an APP_URL and a WebAuthn origin on a domain name
AREA_CODES = (650, 212, 312, 617, 206, 303, 512, 718)  # not 415: +14155550100 is the sender


@dataclass(frozen=True)
class Config:
    """How the app runs: worker processes, and Reflex's state manager."""

    key: str  # as named on the command line
    name: str
    workers: int
    environment: dict[str, str]
    idle: bool  # measure idle tabs under this configuration
    memory: bool  # measure memory per login after states expire
    state_expiry_seconds: int = 20

    @classmethod
    def named(cls, name: str, redis: RedisServer, mail: dict[str, str]) -> Config:
        """A configuration by name; `mail` holds the local SMTP server's settings."""
        expiry = {"REFLEX_REDIS_TOKEN_EXPIRATION": "20", **mail}  # short, so the memory check sees states expire
        if name == "single":  # the defaults: one worker, tab states in its memory
            return cls(name, "1 worker", 1, expiry, idle=True, memory=True)
        if name == "redis":
            state_redis = redis.url.rsplit("/", 1)[0] + "/1"  # the app's own keys stay in db 0
            environment = {"WEB_WORKERS": "2", "REFLEX_REDIS_URL": state_redis, **expiry}
            return cls(name, "Redis, 2 workers", 2, environment, idle=False, memory=False)
        raise SystemExit(f"unknown config {name!r} (single, redis)")

    def describe(self) -> str:
        manager = "Redis state manager" if "REFLEX_REDIS_URL" in self.environment else "state in memory (default)"
        return f"{self.workers} worker{'s' if self.workers > 1 else ''}, {manager}"


class BenchUsers:
    """Accounts with 2FA on, each handed out once (a second login would meet the resend cooldown)."""

    def __init__(self, users: list[Seeded]):
        self._users = users
        self._next = 0

    def take(self, count: int) -> list[Seeded]:
        if self._next + count > len(self._users):
            raise RuntimeError("the bench seeded too few accounts")
        taken = self._users[self._next : self._next + count]
        self._next += count
        return taken


def seed(services: Services, prefix: str, count: int) -> BenchUsers:
    """`count` accounts (addresses confirmed) sharing one argon2 hash of PASSWORD (hashed once, at the production
    cost), with phone numbers no earlier seeding used."""
    password_hash = PasswordHasher().hash(PASSWORD)
    with Session(services.database.engine) as db:
        first = db.exec(select(func.count()).select_from(User)).one()
    rows = []
    for index in range(first, first + count):
        area, line = AREA_CODES[index // 10_000], index % 10_000
        rows.append(
            User(
                email=f"{prefix}-{index}@load.example",
                password_hash=password_hash,
                phone_number=f"+1{area}555{line:04d}",
                is_two_factor_enabled=True,
                email_verified_at=services.clock.now(),  # confirmed addresses: the login goes straight on
            )
        )
    with Session(services.database.engine) as db:
        db.add_all(rows)
        db.commit()
        seeded = [Seeded(row.id or 0, row.email, row.phone_number or "") for row in rows]
    return BenchUsers(seeded)


class App:
    """The app in one configuration, with its seeded accounts; `with App(...) as app:` starts and stops it."""

    def __init__(
        self, config: Config, work: Path, redis: RedisServer, plivo: LocalPlivo, accounts: int, counts: Path | None
    ):
        """`counts`: where the app's processes answer their counts of SQL and Redis work (None: not counted)."""
        self.config, self.work, self.plivo, self._accounts, self.counts = config, work, plivo, accounts, counts
        if not (work / "project").exists():
            project_mirror(work / "project")
        self.environment = app_environment(
            work,
            redis_url=redis.url,
            plivo_url=plivo.url,
            plivo_auth=(plivo.auth_id, plivo.auth_token),
            settings=RUN_SETTINGS,
            host=APP_HOST,
        )
        self.environment.update(config.environment)
        self.log_path = work / f"app-{config.workers}.log"
        self.web_dir = Path(self.environment["REFLEX_WEB_WORKDIR"])
        self.running: RunningApp | None = None

    def __enter__(self) -> App:
        from reflex_base.constants import Reflex

        subprocess.run([str(ROOT / "scripts" / "vendor_altcha.sh")], check=True, timeout=300)  # as `make setup`
        migrate(self.work / "project", self.environment, self.log_path)
        self.services = build_services(load_settings(self.environment, env_file=None))
        self.users = seed(self.services, self.config.key, self._accounts)
        environment = self.environment if self.counts is None else counting_environment(self.counts, self.environment)
        self.running = start_app(self.work / "project", environment, self.log_path)
        try:
            wait_until_ready(self.running)
        except BaseException:
            self.running.stop()
            raise
        self.reflex_version = Reflex.VERSION
        self.root_state = "reflex___state____state"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.running is not None:
            self.running.stop()
        self.services.database.engine.dispose()
        self.services.redis.close()
        shutil.rmtree(self.work / "states", ignore_errors=True)

    def count_in_log(self, needle: str) -> int:
        """Lines of this run's app log that contain `needle`."""
        return sum(needle in line for line in self.log_path.read_text(errors="replace").splitlines())


def _processes(app: RunningApp | None) -> list[psutil.Process]:
    assert app is not None
    root = psutil.Process(app.process.pid)
    return [root, *root.children(recursive=True)]


def app_cpu(app: RunningApp | None) -> float:
    """CPU seconds (user + system) used so far by the app's processes (reflex, granian, its workers)."""
    total = 0.0
    for process in _processes(app):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _python_thread_names(pid: int) -> dict[int, str]:
    """OS thread id -> Python thread name, as py-spy dump sees them (empty if py-spy cannot attach)."""
    try:
        dump = subprocess.run(["py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {int(tid): name for tid, name in re.findall(r'^Thread (\d+) \([^)]*\): "(.*)"$', dump.stdout, re.M)}


def thread_cpu(app: RunningApp | None) -> dict[str, float]:
    """CPU seconds so far per kind of thread of the app's processes: the event loop (MainThread), argon2
    (sms2fa-hashing), backend calls (asyncio), granian's I/O threads (tokio), ... (digits dropped)."""
    totals: dict[str, float] = {}
    for process in _processes(app):
        try:
            threads = process.threads()
        except psutil.NoSuchProcess:
            continue
        names = _python_thread_names(process.pid) if len(threads) > 1 else {}
        for thread in threads:
            try:
                name = names.get(thread.id) or Path(f"/proc/{process.pid}/task/{thread.id}/comm").read_text().strip()
            except OSError:
                continue
            kind = re.sub(r"[-_ ]?\d+$", "", name) or "?"
            totals[kind] = totals.get(kind, 0.0) + thread.user_time + thread.system_time
    return totals


def app_rss_mb(app: RunningApp | None) -> float:
    """Resident memory of the app's processes, in MB."""
    total = 0
    for process in _processes(app):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def profile_worker(app: RunningApp | None, directory: Path, config: Config, clients: int) -> subprocess.Popen[bytes]:
    """py-spy, recording the busiest worker for 15 s while a level runs: the Python code holding the GIL (argon2
    releases it, so it is not there), as raw collapsed stacks."""
    directory.mkdir(parents=True, exist_ok=True)
    busiest = max(_processes(app), key=lambda process: sum(process.cpu_times()[:2]))
    output = directory / f"{config.workers}w-{clients}c.txt"
    command = ["py-spy", "record", "--pid", str(busiest.pid), "--duration", "15", "--rate", "250", "--gil"]
    command += ["--format", "raw", "--output", str(output), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
