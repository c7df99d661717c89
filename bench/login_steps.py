"""The CPU of each backend step of one whole login, in this process: no Reflex, no websocket, no HTTP server.

    python bench/login_steps.py [--logins N]

The same calls as bench/load.py's direct baseline (the password, the challenge's lookup and text, the code's
check, the session's move, the dashboard's lookup), one login after the other against a real Redis, the local
Plivo and SQLite, each timed in thread CPU (time.thread_time: what the thread that runs it pays). Beside them,
one argon2 verify alone. What bench/load.py's app CPU per login holds beyond their sum is Reflex, socket.io,
the HTTP server and the hand-offs between threads (docs/sizing.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

from bench.load_app import RUN_SETTINGS, seed  # noqa: E402
from bench.load_flows import PASSWORD  # noqa: E402
from sms2fa_app.backend.assurance import Amr  # noqa: E402
from sms2fa_app.backend.factors.second_factors import summary_facts  # noqa: E402
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, VerifyStatus  # noqa: E402
from sms2fa_app.backend.identity.passwords import PasswordHasher  # noqa: E402
from sms2fa_app.backend.services import Services, build_services  # noqa: E402
from sms2fa_app.config import load_settings  # noqa: E402
from tests.support.app_server import app_environment  # noqa: E402
from tests.support.plivo_server import LocalPlivo  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

WARM_UP = 5  # logins left out of the medians (connections, compiled statements)
ARGON2 = "argon2 verify, alone"


class Steps:
    """Thread CPU (ms) per named step, over the logins."""

    def __init__(self) -> None:
        self.used: dict[str, list[float]] = {}

    def run(self, name: str, step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        before = time.thread_time()
        result = step(*args, **kwargs)
        self.used.setdefault(name, []).append(1000 * (time.thread_time() - before))
        return result

    def report(self) -> None:
        total = 0.0
        for name, used in self.used.items():
            median = statistics.median(used[WARM_UP:] or used)
            total += 0.0 if name == ARGON2 else median
            print(f"{median:8.2f} ms  {name}")
        print(f"{total:8.2f} ms  the login's backend steps (its one argon2 verify included)")


def one_login(services: Services, plivo: LocalPlivo, steps: Steps, email: str, phone: str) -> None:
    """The whole login's backend calls, as the app's handlers make them."""
    result = steps.run("password: Accounts.log_in (argon2 included)", services.accounts.log_in, email, PASSWORD)
    steps.run("password: SignIn.after_password", services.sign_in.after_password, result, None, None)
    issued = result.issued
    assert issued is not None, result.outcome
    session = issued.session
    binding = {"purpose": Purpose.LOGIN, "user_id": session.user_id, "session_id": session.session_id}
    text = {**binding, "phone": phone, "client_ip": "127.0.0.1"}
    facts = summary_facts()
    steps.run("challenge: the caller and their factors", services.sessions.resolve_with_facts, issued.token, facts)
    sent = steps.run("challenge: OtpService.request_code (Plivo's API)", services.otp.request_code, **text)
    assert isinstance(sent, CodeSent), sent
    code = plivo.last_code_for(phone) or ""
    steps.run("code: the caller", services.sessions.resolve_with_facts, issued.token)
    checked = steps.run("code: OtpService.verify_code", services.otp.verify_code, **binding, code=code)
    assert checked.status is VerifyStatus.OK, checked
    moved = steps.run("code: SessionStore.advance", services.sessions.advance, issued.token, (Amr.SMS,), how="sms")
    assert moved is not None
    steps.run("dashboard: the caller and their card", services.sessions.resolve_with_facts, moved.token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logins", type=int, default=40)
    options = parser.parse_args()
    with RedisServer() as redis, LocalPlivo() as plivo, tempfile.TemporaryDirectory() as work:
        # Development: no mail server needed; the send and throttle limits raised as bench/load.py raises them.
        settings = {**RUN_SETTINGS, "APP_ENV": "development"}
        environment = app_environment(
            Path(work), redis_url=redis.url, plivo_url=plivo.url, plivo_auth=(plivo.auth_id, plivo.auth_token),
            settings=settings, host="localhost",
        )  # fmt: skip
        services = build_services(load_settings(environment, env_file=None))
        SQLModel.metadata.create_all(services.database.engine)
        users = seed(services, "steps", options.logins).take(options.logins)
        hasher, steps = PasswordHasher(), Steps()
        stored = hasher.hash(PASSWORD)
        for user in users:
            steps.run(ARGON2, hasher.verify, PASSWORD, stored)
            one_login(services, plivo, steps, user.email, user.phone)
        print(f"thread CPU per step, median of {options.logins - WARM_UP} logins one after the other:")
        steps.report()
        services.database.engine.dispose()
        services.redis.close()


if __name__ == "__main__":
    main()
