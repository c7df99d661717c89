"""The OpenID token endpoint's cost: authorization codes exchanged per second on one backend worker, next to a
static 200 from the same server measured in the same run.

    python bench/oidc_bench.py [--codes N] [--clients C] [--rounds R]

One granian worker serves the app's routes (bench/oidc_app.py) on SQLite and a real Redis. Codes are minted through
the authorization endpoint with a signed-in session's cookie (not timed), then exchanged by C concurrent clients
(confidential client, client_secret_basic, PKCE S256, scope openid email offline_access: an ID token signed RS256,
an access and a refresh token stored). The baseline POSTs the same form to a route answering a constant 200.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.stack_parts import free_port  # noqa: E402
from sms2fa_app.backend.assurance import Amr  # noqa: E402
from sms2fa_app.backend.models import User  # noqa: E402
from sms2fa_app.backend.services import build_services  # noqa: E402
from sms2fa_app.config import load_settings  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

CALLBACK = "http://localhost:4100/callback"
START_TIMEOUT_SECONDS = 60


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _prepare(environment: dict[str, str]) -> tuple[str, str, str]:
    """Schema, one client and one signed-in session: (client_id, client_secret, session token)."""
    from sqlmodel import SQLModel

    settings = load_settings(environment, env_file=None)
    services = build_services(settings)
    SQLModel.metadata.create_all(services.database.engine)
    made = services.oidc.server.clients.register("Bench", [CALLBACK], first_party=True)
    with services.database.session() as db:
        user = User(email="bench@example.com", password_hash="x", email_verified_at=time.time())
        db.add(user)
        db.flush()
        user_id = user.id
    assert user_id is not None and made.client_secret is not None
    token = services.sessions.create(user_id, (Amr.PWD,)).token
    services.database.engine.dispose()
    return made.client_id, made.client_secret, token


def _mint(base: str, client_id: str, session: str, count: int) -> list[tuple[str, str]]:
    """`count` fresh codes with their PKCE verifiers."""
    codes = []
    with httpx.Client(base_url=base, cookies={"sms2fa_session": session}, timeout=30) as http:
        for _ in range(count):
            verifier, challenge = _pkce()
            params = {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": CALLBACK,
                "scope": "openid email offline_access",
                "state": "s",
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            answer = http.get("/oauth2/authorize", params=params)
            assert answer.status_code == 302, answer.text
            codes.append((parse_qs(urlsplit(answer.headers["location"]).query)["code"][0], verifier))
    return codes


def _timed(base: str, path: str, forms: list[dict[str, str]], auth: tuple[str, str], clients: int) -> list[float]:
    """POST each form once from `clients` concurrent connections; each request's latency (all must answer 200)."""

    def worker(share: list[dict[str, str]]) -> list[float]:
        latencies = []
        with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
            for form in share:
                started = time.perf_counter()
                answer = http.post(path, data=form)
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
        return latencies

    shares = [forms[index::clients] for index in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [latency for part in pool.map(worker, shares) for latency in part]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=300, help="codes per round (exchanged within their 60 s)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with RedisServer() as redis_server, tempfile.TemporaryDirectory(prefix="sms2fa-oidc-bench-") as directory:
        environment = {
            "APP_ENV": "development",
            "DATA_DIR": directory,
            "SECRET_KEY": secrets.token_hex(32),
            "REDIS_URL": redis_server.url,
            "DATABASE_URL": f"sqlite:///{directory}/bench.db",
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
        client_id, client_secret, session = _prepare(environment)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--log-level",
                "warning",
                "bench.oidc_app:app",
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the bench server did not start")
                time.sleep(0.2)
            _mint(base, client_id, session, 5)  # warm-up: the signing key is made, connections opened
            auth = (client_id, client_secret)
            code_rates, static_rates, code_latencies = [], [], []
            for _ in range(options.rounds):
                codes = _mint(base, client_id, session, options.codes)
                forms = [
                    {
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": CALLBACK,
                        "code_verifier": verifier,
                    }
                    for code, verifier in codes
                ]
                started = time.perf_counter()
                latencies = _timed(base, "/oauth2/token", forms, auth, options.clients)
                code_rates.append(len(forms) / (time.perf_counter() - started))
                code_latencies += latencies
                started = time.perf_counter()
                _timed(base, "/bench/static", forms, auth, options.clients)
                static_rates.append(len(forms) / (time.perf_counter() - started))
        finally:
            server.terminate()
            server.wait(timeout=10)
    best_codes, best_static = max(code_rates), max(static_rates)
    p50 = 1000 * statistics.median(code_latencies)
    p95 = 1000 * statistics.quantiles(code_latencies, n=20)[-1]
    print(
        f"token endpoint: {best_codes:.0f} codes exchanged/s on one worker ({options.clients} clients; "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms)"
    )
    print(f"baseline: {best_static:.0f} static 200/s from the same server; ratio {best_codes / best_static:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
