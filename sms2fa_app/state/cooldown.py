"""The waits of every code form, the resend cooldown and the lockout: the server decides the deadline and
sends it once; the browser counts it down (components/countdown.py) and the server refuses early requests
whatever the browser shows."""

from __future__ import annotations

import math
from dataclasses import replace

import reflex as rx

from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, SendRefusal, SendRefused
from sms2fa_app.state import words
from sms2fa_app.state.proof import next_challenge

# Refusals that hold every send back for a while (an hourly window is full, a country blocked): the send buttons
# wait for the end, counted down, and no proof of work is asked meanwhile (a proof would buy nothing). A voice
# call's own limit leaves texts free.
HOLDING = frozenset(
    {
        SendRefusal.USER_LIMIT,
        SendRefusal.PHONE_LIMIT,
        SendRefusal.IP_LIMIT,
        SendRefusal.GLOBAL_BUDGET,
        SendRefusal.COUNTRY_BLOCKED,
    }
)


def deadline_ms(now: float, seconds: float) -> int:
    """Epoch milliseconds `seconds` after `now` (0 for no wait): what the browser counts down to."""
    return int((now + seconds) * 1000) if seconds > 0 else 0


def to_the_minute(deadline: int) -> int:
    """A deadline (epoch ms) moved on to the next whole minute. A number's hourly window is filled by whoever texts
    that number: counted to the second, its end would tell when another account's text went out."""
    return math.ceil(deadline / 60_000) * 60_000


class CooldownState(rx.State, mixin=True):
    """Mixed into the states of pages with a "Resend code" button (no state of its own in the tree)."""

    resend_at: int = 0  # epoch ms when "Resend code" is allowed again (0 = now)
    sends_held: bool = False  # resend_at is an hourly limit's end, not the short cooldown's
    pow_challenge: str = ""  # a proof-of-work challenge for the widget, while sends need proofs
    proof_asked: bool = False  # the last send waits for the proof: the page sends again once it is solved
    locked_until: int = 0  # epoch ms when the form may be tried again (a lockout or throttle; 0 = now)

    def _start_lock(self, seconds: int) -> None:
        """Count the server's lockout (or throttle) down in the browser; Verify waits for it."""
        clock = self._services().clock  # type: ignore[attr-defined]
        self.locked_until = deadline_ms(clock.now(), max(0, int(seconds)))

    def _verify_failed(self, result: VerifyResult, factor: Factor) -> str:
        """Why a code was refused, in words; a lockout starts its countdown."""
        if result.status is VerifyStatus.LOCKED:
            self._start_lock(result.retry_after_seconds)
        return words.challenge.verify_failed(result, factor)

    def _start_cooldown(self, seconds: int, whole_minute: bool = False) -> None:
        """Show the server's remaining wait (a new deadline only when it changes what the browser counts);
        `whole_minute` counts down to the next whole minute after it."""
        clock = self._services().clock  # type: ignore[attr-defined]  # SessionState's: every user extends it
        deadline = deadline_ms(clock.now(), max(0, int(seconds)))
        deadline = to_the_minute(deadline) if whole_minute else deadline
        if whole_minute or abs(deadline - self.resend_at) >= 1000 or (deadline == 0) != (self.resend_at == 0):
            self.resend_at = deadline

    def _stop_cooldown(self) -> None:
        """No wait to show any more (the step changed)."""
        self.resend_at = 0
        self.sends_held = self.proof_asked = False

    def _after_send(self, result: CodeSent | SendRefused, proof: str = "") -> str:
        """The error message ("" when sent) for the result of a send; starts the cooldown the server set.
        `proof` is the proof of work that came with it (spent now); the widget gets a new challenge when one
        is needed."""
        needed = isinstance(result, SendRefused) and result.reason is SendRefusal.PROOF_REQUIRED
        held = isinstance(result, SendRefused) and result.reason in HOLDING
        services = self._services()  # type: ignore[attr-defined]
        self.pow_challenge = "" if held else next_challenge(services, needed=needed, posted=proof)
        self.proof_asked, self.sends_held = needed, held
        if isinstance(result, CodeSent):
            self._start_cooldown(result.resend_after_seconds)
            return ""
        if result.reason is SendRefusal.PHONE_LIMIT:  # said and counted down to the minute, like its deadline
            self._start_cooldown(result.retry_after_seconds, whole_minute=True)
            wait = math.ceil(self.resend_at / 1000 - services.clock.now())
            return words.challenge.send_refused(replace(result, retry_after_seconds=wait))
        if result.reason is SendRefusal.COOLDOWN or held:
            self._start_cooldown(result.retry_after_seconds)
        return words.challenge.send_refused(result)
