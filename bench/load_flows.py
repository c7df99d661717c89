"""The whole login, through the websocket (a simulated tab) and through the backend directly, at a concurrency.

A websocket login: open /login (HTML, connect, hydrate), submit the password and land on the challenge
page, read the code from the local Plivo, submit it and land on /dashboard. A direct login makes the same
backend calls in-process: accounts.log_in, otp.request_code (texting through the local Plivo over HTTP),
verify_code, sessions.advance.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.load_client import FlowError, Frontend, Tab
from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose, VerifyStatus
from sms2fa_app.backend.services import Services
from tests.support.plivo_server import LocalPlivo

STEP_TIMEOUT_SECONDS = 20.0
STEPS = ("open", "password", "code")
PASSWORD = "load-bench password 1"


@dataclass(frozen=True)
class Seeded:
    """An account with 2FA on by SMS, logged into once per run (the resend cooldown is per user)."""

    user_id: int
    email: str
    phone: str


@dataclass(frozen=True)
class Pages:
    """The handlers a tab calls and the vars it reads, by their full Reflex names."""

    log_in: str
    verify: str
    login_state: str
    challenge_state: str
    challenge_ready_var: str  # set once the challenge page shows its code form
    session_state: str


@dataclass
class Level:
    """What one concurrency level measured."""

    clients: int
    seconds: float = 0.0
    steps: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in (*STEPS, "whole")})
    failures: list[str] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return len(self.steps["whole"])

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def add(self, other: Level) -> None:
        """Count another run at the same concurrency as part of this one."""
        self.seconds += other.seconds
        for name, values in other.steps.items():
            self.steps[name] += values
        self.failures += other.failures
        self.frames += other.frames

    def percentile(self, step: str, q: float) -> float:
        values = sorted(self.steps[step])
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]


Login = Callable[[Seeded], Awaitable[dict[str, float]]]


async def drive(clients: int, users: list[Seeded], login: Login, limit: float) -> Level:
    """`clients` loops, each logging in the next unused user until none is left or `limit` seconds passed."""
    level = Level(clients)
    queue = list(reversed(users))
    started = time.perf_counter()

    async def client() -> None:
        while queue and time.perf_counter() - started < limit:
            user = queue.pop()
            try:
                timing = await login(user)
            except (FlowError, OSError, TimeoutError) as error:
                level.failures.append(f"{user.email}: {type(error).__name__}: {error}")
                continue
            for name, seconds in timing.items():
                if name in level.steps:
                    level.steps[name].append(seconds)
                else:
                    level.frames.append(int(seconds))

    await asyncio.gather(*(client() for _ in range(clients)))
    level.seconds = time.perf_counter() - started
    return level


class WebsocketLogins:
    """Logs simulated tabs in through the app's websocket."""

    def __init__(self, base_url: str, frontend: Frontend, pages: Pages, plivo: LocalPlivo):
        self.base_url, self.frontend, self.pages, self.plivo = base_url, frontend, pages, plivo

    def _error(self, state: str) -> Callable[[Tab], str]:
        return lambda tab: tab.var(state, "error") or ""

    async def to_challenge(self, user: Seeded) -> Tab:
        """Open /login and pass the password step; the tab ends on the challenge page with its code sent."""
        pages = self.pages
        tab = await Tab.open(self.base_url, self.frontend, "/login/")
        try:
            await tab.until(lambda t: t.hydrated, STEP_TIMEOUT_SECONDS)
            tab.marks["open"] = time.perf_counter()
            await tab.submit(pages.log_in, {"email": user.email, "password": PASSWORD})
            path = await tab.follow_redirect(STEP_TIMEOUT_SECONDS, self._error(pages.login_state))
            if path != "/2fa-challenge":
                raise FlowError(f"password step went to {path}")
            await tab.until(
                lambda t: bool(t.var(pages.challenge_state, pages.challenge_ready_var)),
                STEP_TIMEOUT_SECONDS,
                self._error(pages.challenge_state),
            )
        except BaseException:
            await tab.close()
            raise
        return tab

    async def login(self, user: Seeded) -> dict[str, float]:
        """One whole login; the seconds of each step, the whole, and the frames exchanged."""
        pages = self.pages
        started = time.perf_counter()
        tab = await self.to_challenge(user)
        try:
            opened = tab.marks["open"]
            at_challenge = time.perf_counter()
            code = await self._code(user.phone)
            await tab.submit(pages.verify, {"code": code})
            path = await tab.follow_redirect(STEP_TIMEOUT_SECONDS, self._error(pages.challenge_state))
            if path != "/dashboard":
                raise FlowError(f"code step went to {path}")
            await tab.until(
                lambda t: t.var(pages.session_state, "signed_in_email") == user.email,
                STEP_TIMEOUT_SECONDS,
            )
            done = time.perf_counter()
        finally:
            await tab.close()
        return {
            "open": opened - started,
            "password": at_challenge - opened,
            "code": done - at_challenge,
            "whole": done - started,
            "frames": tab.frames_in + tab.frames_out,
        }

    async def _code(self, phone: str) -> str:
        deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
        while (code := self.plivo.last_code_for(phone)) is None:
            if time.monotonic() > deadline:
                raise FlowError(f"no text reached {phone}")
            await asyncio.sleep(0.005)
        return code


def direct_level(services: Services, plivo: LocalPlivo, clients: int, users: list[Seeded], limit: float) -> Level:
    """The same logins as backend calls in `clients` threads of this process (no Reflex, no websocket)."""
    level = Level(clients)
    queue = list(reversed(users))
    lock = threading.Lock()
    started = time.perf_counter()

    def one(user: Seeded) -> None:
        t0 = time.perf_counter()
        result = services.accounts.log_in(user.email, PASSWORD, "127.0.0.1", "load-bench")
        if result.issued is None:
            raise FlowError(f"log_in: {result.outcome}")
        session = result.issued.session
        binding = {"purpose": Purpose.LOGIN, "user_id": session.user_id, "session_id": session.session_id}
        sent = services.otp.request_code(**binding, phone=user.phone, client_ip="127.0.0.1")
        if not isinstance(sent, CodeSent):
            raise FlowError(f"request_code: {sent}")
        code = plivo.last_code_for(user.phone) or ""
        if services.otp.verify_code(**binding, code=code).status is not VerifyStatus.OK:
            raise FlowError("verify_code refused the texted code")
        if services.sessions.advance(result.issued.token, (Amr.SMS,), how="sms") is None:
            raise FlowError("advance")
        with lock:
            level.steps["whole"].append(time.perf_counter() - t0)

    def worker() -> None:
        while time.perf_counter() - started < limit:
            with lock:
                if not queue:
                    return
                user = queue.pop()
            try:
                one(user)
            except (FlowError, OSError) as error:
                with lock:
                    level.failures.append(f"{user.email}: {error}")

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    level.seconds = time.perf_counter() - started
    return level


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
