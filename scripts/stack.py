"""The production stack on this machine: PostgreSQL, Redis, several backend workers on Reflex's Redis state
manager, and the built frontend behind nginx (all Debian's), on 127.0.0.1 and free ports.

    make stack            # python -m scripts.stack [--workers N] [--port P]; Ctrl-C or SIGTERM stops it all

Without PLIVO_AUTH_ID in the environment, texts go to a local Plivo-compatible server and are printed here.
The tests in tests/stack start the same stack through `Stack`. Everything lives in one temporary directory
(removed at the end): the database cluster, Redis's snapshot, the build, the logs. Secrets (the database and Redis
passwords, SECRET_KEY, the metrics token) live only in the processes' environments.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from scripts.frontend import BuildError, build, write_csp_include
from scripts.stack_parts import Backend, Caddy, Nginx, Postgres, Redis, StackError, free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NGINX_DIR = PROJECT_ROOT / "deploy" / "nginx"
CADDY_SNIPPET = PROJECT_ROOT / "deploy" / "caddy" / "sms2fa-forward-auth.caddy"
DEFAULT_WORKERS = 2
WHATSAPP_SETTINGS = (
    "WHATSAPP_SENDER",
    "WHATSAPP_TEMPLATE_NAME",
    "WHATSAPP_TEMPLATE_LANGUAGES",
    "WHATSAPP_FALLBACK_SECONDS",
)
# The app behind forward-auth (a second nginx server, in front of tests/support/echo_upstream.py): the rules the
# stack tests walk through; `make stack` shows the same at protected_url.
# `open.localhost` is another app, open to all: nginx serves only `localhost` on the protected port (its default server
# refuses every other host), so a request must never be judged by that host's rules.
PROTECTED_APP_RULES = (
    "bypass localhost /public/; deny localhost /forbidden/; one_factor localhost /one-factor/; two_factor localhost; "
    "bypass open.localhost"
)


@dataclass(frozen=True)
class Sms:
    """A Plivo-compatible API the app texts through."""

    url: str
    auth_id: str
    auth_token: str
    sender: str = "+14155550100"


def documented_settings() -> list[str]:
    """Every variable .env.example names."""
    text = (PROJECT_ROOT / ".env.example").read_text()
    return re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)


def clean_environment() -> dict[str, str]:
    """This process's environment without pytest's, Reflex's, granian's or any app setting (blank = default, which
    also masks a developer's .env), with the project's tools on PATH."""
    documented = set(documented_settings())
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "REFLEX_", "GRANIAN_")) and key not in documented
    }
    environment.update(dict.fromkeys(documented, ""))
    tools = f"{PROJECT_ROOT / '.tools/node_modules/.bin'}:{PROJECT_ROOT / '.venv/bin'}"
    environment["PATH"] = f"{tools}:{os.environ.get('PATH', '')}"
    environment.update(REFLEX_USE_SYSTEM_BUN="1", REFLEX_TELEMETRY_ENABLED="false", REFLEX_CHECK_LATEST_VERSION="false")
    return environment


@dataclass
class Stack:
    """Start with `start()` (returns each phase's seconds), stop with `stop()`; or `with Stack(...) as stack:`."""

    root: Path  # a directory of ours (0755: nginx's workers read the build from it)
    project_dir: Path  # where the reflex commands run (the project, or a mirror of it)
    sms: Sms
    workers: int = DEFAULT_WORKERS
    countries: str = "US"
    port: int = 0
    mail: Mapping[str, str] = field(default_factory=dict)  # the SMTP_* settings of the mail server
    settings: Mapping[str, str] = field(default_factory=dict)  # more app settings (limits, ...)
    metrics_token: str = field(default_factory=lambda: secrets.token_hex(32))
    protected_port: int = 0  # nginx's second server: an app behind forward-auth
    backends: list[Backend] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.protected_port = self.protected_port or free_port()
        from tests.support.echo_upstream import EchoUpstream  # the app to protect: shows the headers it gets

        self.upstream = EchoUpstream()
        self.caddy = Caddy(self.root / "caddy", "") if Caddy.installed() else None  # the same app, by forward_auth
        self.postgres = Postgres(self.root / "postgresql", secrets.token_urlsafe(24))
        self.redis = Redis(self.root / "redis", secrets.token_urlsafe(24))
        self.nginx = Nginx(self.root / "nginx", "", port=self.port)
        self.logs = self.root / "logs"
        self.app_environment = {
            **clean_environment(),
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url(0),
            "REFLEX_REDIS_URL": self.redis.url(1),  # Reflex's state: several workers share it
            "TRUSTED_PROXY_HOPS": "1",  # nginx
            "OTP_ALLOWED_COUNTRIES": self.countries,
            "PLIVO_AUTH_ID": self.sms.auth_id,
            "PLIVO_AUTH_TOKEN": self.sms.auth_token,
            "PLIVO_PHONE_NUMBER": self.sms.sender,
            "PLIVO_API_URL": self.sms.url,
            # the local Plivo answers Lookup too; a real account asks lookup.plivo.com (or PLIVO_LOOKUP_URL)
            "PLIVO_LOOKUP_URL": os.environ.get("PLIVO_LOOKUP_URL")
            or ("https://lookup.plivo.com" if "api.plivo.com" in self.sms.url else self.sms.url),
            "PHONE_LINE_TYPES": "mobile",
            "PHONE_LOOKUP_ON_ERROR": "deny",
            # WhatsApp codes when the environment names a template (the local Plivo accepts any approved name)
            **{name: os.environ[name] for name in WHATSAPP_SETTINGS if os.environ.get(name)},
            "METRICS_TOKEN": self.metrics_token,
            "DATA_DIR": str(self.root / "data"),
            "REFLEX_STATES_WORKDIR": str(self.root / "states"),
            "REFLEX_WEB_WORKDIR": str(self.root / "web"),
            "REFLEX_API_URL": self.url,
            "REFLEX_DEPLOY_URL": self.url,
            # Links in mails, Plivo's callbacks and passkeys: the address browsers use (nginx, as localhost).
            "APP_URL": self.url,
            "WEBAUTHN_RP_ID": "localhost",
            "WEBAUTHN_ORIGIN": self.url,
            "OPERATOR_EMAIL": "ops@example.com",
            "FORWARD_AUTH_RULES": PROTECTED_APP_RULES,
            **self.mail,
            **self.settings,
        }

    @property
    def url(self) -> str:
        """Where browsers reach the app: nginx, on 127.0.0.1, by the name localhost (a domain name, as passkeys need
        for their relying-party id; a secure context, as 127.0.0.1 is)."""
        return f"http://localhost:{self.port}"

    @property
    def protected_url(self) -> str:
        """The app behind forward-auth, through nginx (same host as the app: cookies ignore ports)."""
        return f"http://localhost:{self.protected_port}"

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 1)

    def start(self) -> dict[str, float]:
        """Everything, in order; each phase's seconds in `timings` (and returned)."""
        began = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.logs.mkdir(exist_ok=True)
        with ThreadPoolExecutor(max_workers=1) as pool:  # the build overlaps the database and Redis
            building = pool.submit(self._build)
            started = time.monotonic()
            self.redis.start()
            self.postgres.start()
            self._timed("postgresql_and_redis", started)
            started = time.monotonic()
            self._reflex("db", "migrate", log="migrate.log")
            self._timed("migrations", started)
            client = building.result()
        started = time.monotonic()
        self.backends = [
            Backend(index, self.project_dir, self.app_environment, self.logs / f"backend-{index}.log")
            for index in range(self.workers)
        ]
        for backend in self.backends:
            backend.start()
        for backend in self.backends:
            backend.wait_ready()
        self._timed("backends", started)
        started = time.monotonic()
        self.upstream.start()
        self.nginx.config = self._nginx_config(client)
        self.nginx.start()
        self._timed("nginx", started)
        if self.caddy is not None:
            self.caddy.config = self._caddy_config()
            self.caddy.start()
        self._timed("total", began)
        return self.timings

    def _build(self) -> Path:
        started = time.monotonic()
        client = build(self.project_dir, self.root / "web", self.url, self.app_environment, self.logs / "build.log")
        write_csp_include(client, self.root / "csp.conf")
        self._timed("frontend_build", started)
        return client

    def _reflex(self, *arguments: str, log: str) -> None:
        with (self.logs / log).open("ab") as output:
            completed = subprocess.run(
                ["reflex", *arguments],
                cwd=self.project_dir,
                env=self.app_environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=300,
            )
        if completed.returncode != 0:
            raise StackError(f"`reflex {' '.join(arguments)}` failed; see {self.logs / log}")

    def _nginx_config(self, client: Path) -> str:
        directory = self.nginx.directory
        temp = directory / "tmp"
        upstreams = "\n".join(f"        server 127.0.0.1:{b.port} max_fails=1 fail_timeout=5s;" for b in self.backends)
        temp_paths = "\n".join(
            f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return f"""# The local stack's nginx (scripts/stack.py); the app's part is the shared deploy/nginx files.
worker_processes 1;
daemon off;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{
    worker_connections 1024;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp_paths}
    include {NGINX_DIR / "sms2fa-http.conf"};
    upstream sms2fa_backend {{
{upstreams}
    }}
    server {{
        listen 127.0.0.1:{self.port};
        server_name localhost;
        access_log {self.nginx.access_log} sms2fa;
        root {client};
        include {self.root / "csp.conf"};
        include {NGINX_DIR / "sms2fa-locations.conf"};
    }}
    server {{
        listen 127.0.0.1:{self.protected_port} default_server;
        return 421;
    }}
    server {{
        listen 127.0.0.1:{self.protected_port};
        server_name localhost;
        underscores_in_headers on;  # as some deployments do: the snippet must clear Remote_User too
        access_log {self.nginx.access_log} sms2fa;
        include {NGINX_DIR / "sms2fa-forward-auth.conf"};
        location / {{
            include {NGINX_DIR / "sms2fa-auth-request.conf"};
            proxy_pass {self.upstream.url};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""

    def _caddy_config(self) -> str:
        """Caddy in front of the same echo app, any host (as nginx's only server on its port), no admin API."""
        assert self.caddy is not None
        worker = f"127.0.0.1:{self.backends[0].port}"
        return f"""{{
\tadmin off
\tauto_https off
}}
http://:{self.caddy.port} {{
\tbind 127.0.0.1
\timport {CADDY_SNIPPET} {worker} 127.0.0.1:{self.upstream.port}
}}
"""

    def kill_backend(self, index: int) -> None:
        """A worker crashes (SIGKILL to it and everything it started)."""
        self.backends[index].kill()

    def start_backend(self, index: int) -> None:
        """Start a stopped worker again on its port (nginx's upstream is unchanged) and wait until it serves."""
        old = self.backends[index]
        old.stop()
        self.backends[index] = Backend(index, self.project_dir, self.app_environment, old.log, port=old.port)
        self.backends[index].start()
        self.backends[index].wait_ready()

    def stop(self) -> None:
        """Stop every process of the stack, the proxy first."""
        self.nginx.stop()
        if self.caddy is not None:
            self.caddy.stop()
        self.upstream.stop()
        for backend in self.backends:
            backend.stop()
        self.redis.stop()
        self.postgres.stop()

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _stop_once(_signum: int, _frame: object) -> None:
    """SIGTERM stops the stack as Ctrl-C does, once: the workers' own shutdown signals the process group again, and a
    second KeyboardInterrupt raised inside the stop would leave the stack's processes running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="backend workers (default 2)")
    parser.add_argument("--port", type=int, default=0, help="nginx's port on 127.0.0.1 (default: a free one)")
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_once)
    signal.signal(signal.SIGINT, _stop_once)
    from tests.support.plivo_server import LocalPlivo  # a Plivo double, when no real Plivo account is configured
    from tests.support.smtp_server import LocalSmtp  # a mail server on 127.0.0.1 that prints what it receives

    plivo = None
    if os.environ.get("PLIVO_AUTH_ID"):
        sms = Sms(
            os.environ.get("PLIVO_API_URL") or "https://api.plivo.com",
            os.environ["PLIVO_AUTH_ID"],
            os.environ.get("PLIVO_AUTH_TOKEN", ""),
            os.environ.get("PLIVO_PHONE_NUMBER", "+14155550100"),
        )
    else:
        plivo = LocalPlivo().start()
        sms = Sms(plivo.url, plivo.auth_id, plivo.auth_token)
    smtp = LocalSmtp().start()
    root = Path(tempfile.mkdtemp(prefix="sms2fa-stack-"))
    countries = os.environ.get("OTP_ALLOWED_COUNTRIES") or "US,CA,GB"
    options = {"workers": arguments.workers, "countries": countries, "port": arguments.port}
    stack = Stack(root, PROJECT_ROOT, sms, mail=smtp.settings(), **options)
    try:
        print(f"sms2fa: starting the stack in {root} (PostgreSQL, Redis, {arguments.workers} workers, nginx)...")
        timings = stack.start()
        print(f"sms2fa: serving {stack.url} after {timings['total']:.0f}s ({timings})")
        print(f"sms2fa: workers {', '.join(b.url for b in stack.backends)}; /metrics with Bearer {stack.metrics_token}")
        print(f"sms2fa: an app behind forward-auth at {stack.protected_url} ({PROTECTED_APP_RULES})")
        if stack.caddy is not None:
            print(f"sms2fa: the same app behind Caddy's forward_auth at http://localhost:{stack.caddy.port}")
        seen = mailed = 0
        while True:
            time.sleep(0.5)
            if plivo is not None:
                for message in plivo.messages[seen:]:
                    print(f"sms2fa: text to {message['dst']}: {message['text']}", flush=True)
                seen = len(plivo.messages)
            for mail in smtp.messages[mailed:]:
                print(f"sms2fa: mail to {', '.join(mail.recipients)}: {mail.subject}\n{mail.text}", flush=True)
            mailed += len(smtp.messages[mailed:])
    except KeyboardInterrupt:
        print("sms2fa: stopping the stack...")
    except (StackError, BuildError) as error:
        print(f"sms2fa: {error}", file=sys.stderr)
        stack.stop()
        print(f"sms2fa: the logs stay in {stack.logs}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        if plivo is not None:
            plivo.stop()
        smtp.stop()
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
