"""The processes of the local production stack (scripts/stack.py): Debian's PostgreSQL and Redis, the Reflex
backend workers and nginx, each private to one directory, on 127.0.0.1 and a free port, and stopped by us.

Passwords never touch the disk: PostgreSQL's is set over its unix socket (which only its owner may open),
Redis reads its configuration from standard input, and the app gets both in its environment.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

STOP_TIMEOUT_SECONDS = 15.0
# What the app's Redis must keep through a crash (appendfsync always, ...): the file shipped for real hosts.
REDIS_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "redis" / "sms2fa-redis.conf"


class StackError(RuntimeError):
    """A part of the stack did not start or stop; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str, timeout: float = 2.0, context: ssl.SSLContext | None = None) -> int | None:
    """The HTTP status of GET url (any status counts as an answer), or None when nothing answers; `context`
    checks an https server's certificate (a test's own CA)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def wait_until(ready: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log and log.exists() else ""
            raise StackError(f"{what} not ready within {timeout:.0f}s{f' (log {log}):' if log else ''}\n{tail}")
        time.sleep(0.2)


def stop_group(process: subprocess.Popen[bytes] | None, signum: int = signal.SIGTERM) -> None:
    """Signal a process started in its own session, with everything it started; KILL what is left."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@dataclass
class Postgres:
    """A PostgreSQL cluster in `directory` (Debian's binaries), owned by `postgres` when we are root."""

    directory: Path
    password: str
    port: int = field(default_factory=free_port)
    user: str = "sms2fa"
    database: str = "sms2fa"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def log(self) -> Path:
        return self.directory / "postgresql.log"

    @staticmethod
    def bin_dir() -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
        if not found:
            raise StackError("PostgreSQL is not installed (run scripts/ensure_test_tools.sh as root)")
        return found[-1].parent

    def _as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _pg_ctl(self, *arguments: str) -> None:
        command = self._as_owner([str(self.bin_dir() / "pg_ctl"), "-D", str(self.directory / "data"), *arguments])
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        """initdb, start on 127.0.0.1:port (password logins only over TCP), set the password and create the app's
        database over the unix socket (its directory is the cluster owner's alone)."""
        self.directory.mkdir(parents=True)
        (self.directory / "socket").mkdir(mode=0o700)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.directory, self.directory / "socket"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        initdb = [
            *self._as_owner([str(self.bin_dir() / "initdb"), "-D", str(self.directory / "data")]),
            *("-U", self.user, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync"),
        ]
        completed = subprocess.run(initdb, capture_output=True, timeout=120)
        if completed.returncode != 0:
            raise StackError(f"initdb failed: {completed.stderr.decode(errors='replace')[-2000:]}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.directory / 'socket'} "
            "-c unix_socket_permissions=0700"
        )
        self._pg_ctl("-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        import psycopg  # the app's own driver
        from psycopg import sql

        socket_dsn = f"host={self.directory / 'socket'} port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(socket_dsn, autocommit=True) as connection:
            connection.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(self.user), self.password))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def dsn(self, database: str | None = None) -> str:
        database = database or self.database
        return f"host=127.0.0.1 port={self.port} user={self.user} password={self.password} dbname={database}"

    def restart(self) -> None:
        """Stop (fast: clients are disconnected) and start again, waiting for both."""
        self._pg_ctl("-m", "fast", "-w", "-t", "60", "restart")

    def stop(self) -> None:
        if (self.directory / "data" / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._pg_ctl("-m", "fast", "-w", "-t", "30", "stop")


@dataclass
class Redis:
    """Debian's redis-server on 127.0.0.1:port with a password, persisting to `directory` as
    deploy/redis/sms2fa-redis.conf says (an append-only file fsynced at every write, and snapshots)."""

    directory: Path
    password: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start on `port` with `directory` as its data directory; a restart after a crash reads its files back."""
        binary = "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else shutil.which("redis-server")
        if not binary:
            raise StackError("redis-server is not installed (run scripts/ensure_test_tools.sh as root)")
        self.directory.mkdir(parents=True, exist_ok=True)
        config = "\n".join(
            [
                f"port {self.port}",
                "bind 127.0.0.1",
                f"dir {self.directory}",
                f"logfile {self.directory / 'redis.log'}",
                f"include {REDIS_CONFIG}",
                f"requirepass {self.password}",
            ]
        )
        self.process = subprocess.Popen(
            [binary, "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True
        )
        assert self.process.stdin is not None
        self.process.stdin.write(config.encode())
        self.process.stdin.close()
        import redis

        client = redis.Redis.from_url(self.url(0), socket_timeout=1)
        wait_until(lambda: self._pings(client), 20, "Redis", self.directory / "redis.log")

    def _pings(self, client: object) -> bool:
        try:
            return bool(client.ping())  # type: ignore[attr-defined]
        except Exception:
            return False

    def save(self) -> Path:
        """A snapshot now (what a restart would read back); returns its file."""
        import redis

        with redis.Redis.from_url(self.url(0)) as client:
            client.save()
        return self.directory / "dump.rdb"

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no final snapshot, only what is on disk survives."""
        stop_group(self.process, signal.SIGKILL)

    def restart(self) -> None:
        """Start again on the same port and data directory (after `kill` or `stop`) and wait until it answers."""
        self.stop()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: the server holds its connections but answers nothing (a hung host, a long fork)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after `pause` (nothing when not paused)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.resume()  # a paused server cannot act on SIGTERM
        stop_group(self.process)


@dataclass
class Backend:
    """One backend worker: `reflex run --env prod --backend-only` on 127.0.0.1:port, one granian worker."""

    index: int
    project_dir: Path
    environment: Mapping[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = ["reflex", "run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [*command, "--backend-port", str(self.port)],
                cwd=self.project_dir,
                env={**self.environment, "GRANIAN_WORKERS": "1"},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise StackError(f"backend {self.index} exited with {self.process.returncode} (log {self.log})")
            return answers(f"{self.url}/ping") == 200

        wait_until(ready, timeout, f"backend {self.index}", self.log)

    def kill(self) -> None:
        """SIGKILL the worker and everything it started, as a crash would."""
        stop_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        stop_group(self.process)


@dataclass
class Nginx:
    """Debian's nginx with a configuration of its own in `directory`, in front of the backends."""

    directory: Path
    config: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    @property
    def error_log(self) -> Path:
        return self.directory / "error.log"

    def start(self) -> None:
        (self.directory / "tmp").mkdir(parents=True, exist_ok=True)
        (self.directory / "nginx.conf").write_text(self.config)
        check = subprocess.run(
            ["/usr/sbin/nginx", "-t", "-q", "-p", f"{self.directory}/", "-c", str(self.directory / "nginx.conf")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check.returncode != 0:
            raise StackError(f"nginx refused its configuration: {check.stderr.strip()}")
        self.process = subprocess.Popen(
            ["/usr/sbin/nginx", "-p", f"{self.directory}/", "-c", str(self.directory / "nginx.conf")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.directory / "stderr.log").open("ab"),
            start_new_session=True,
        )
        wait_until(lambda: answers(f"http://127.0.0.1:{self.port}/healthz") == 200, 30, "nginx", self.error_log)

    def stop(self) -> None:
        stop_group(self.process, signal.SIGQUIT)  # graceful: finish the requests in flight


@dataclass
class Caddy:
    """Debian's Caddy (when installed) with a Caddyfile of its own in `directory`: the stack's second proxy in front
    of the protected app, asking sms2fa by `forward_auth` as nginx does by `auth_request`."""

    directory: Path
    config: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    BINARY = "/usr/bin/caddy"

    @classmethod
    def installed(cls) -> bool:
        return Path(cls.BINARY).exists()

    @property
    def log(self) -> Path:
        return self.directory / "caddy.log"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        caddyfile = self.directory / "Caddyfile"
        caddyfile.write_text(self.config)
        environment = {**os.environ, "XDG_DATA_HOME": str(self.directory), "XDG_CONFIG_HOME": str(self.directory)}
        self.process = subprocess.Popen(
            [self.BINARY, "run", "--adapter", "caddyfile", "--config", str(caddyfile)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: answers(f"http://127.0.0.1:{self.port}/public/") is not None, 30, "caddy", self.log)

    def stop(self) -> None:
        stop_group(self.process)
