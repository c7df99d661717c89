"""Forms that wait for the server's deadline: the lockout's live countdown, and buttons disabled until it ends
(the server refuses early tries whatever the browser shows)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.backend.factors.sms_codes import SEND_WINDOW_SECONDS
from sms2fa_app.components.countdown import countdown, countdown_button
from sms2fa_app.config import get_settings
from sms2fa_app.state import words


def _longest_lock() -> int:
    """The longest lockout the server imposes (read when the page is compiled)."""
    return get_settings().otp_lockout_max_seconds


def longest_resend_wait() -> int:
    """The longest wait a resend button can show: the server's cooldown, or an hourly send limit's (or a blocked
    country's) end (read when the page is compiled)."""
    settings = get_settings()
    return max(settings.otp_resend_cooldown_seconds, SEND_WINDOW_SECONDS, settings.sms_country_block_seconds)


def lock_countdown(locked_until: rx.Var[int], max_seconds: int = 0) -> rx.Component:
    """The lockout's (or a throttle's) wait, counted down live under the form's error (nothing when not
    locked); `max_seconds` caps it (default: the longest lockout)."""
    return rx.cond(
        locked_until != 0,
        rx.text(
            countdown(
                locked_until,
                waiting=words.challenge.LOCK_WAITING,
                ready=words.challenge.LOCK_READY,
                max_seconds=max_seconds or _longest_lock(),
            ),
            size="2",
            data_testid="lock-countdown",
        ),
    )


def verify_button(
    label: str | rx.Var[str],
    locked_until: rx.Var[int],
    busy: rx.Var[bool],
    max_seconds: int = 0,
    waiting: str = "",
    **props: Any,
) -> rx.Component:
    """The form's submit button, disabled while a lockout runs (its label counts the wait down); like every
    submit button it turns the browser's own validation off (components/forms.py)."""
    return countdown_button(
        locked_until,
        None,
        waiting=waiting or words.challenge.VERIFY_LOCKED,
        ready=label,
        max_seconds=max_seconds or _longest_lock(),
        busy=busy,
        type="submit",
        size="3",
        width="100%",
        form_no_validate=True,
        **props,
    )


def send_button(label: str, resend_at: rx.Var[int], busy: rx.Var[bool], on_click: Any = None) -> rx.Component:
    """A form's "Send code" button, disabled while this number's resend cooldown runs (counted down live)."""
    return countdown_button(
        resend_at,
        on_click,
        waiting=words.challenge.SEND_WAITING,
        ready=label,
        max_seconds=longest_resend_wait(),
        busy=busy,
        type="submit",
        size="3",
        width="100%",
        form_no_validate=True,
    )
