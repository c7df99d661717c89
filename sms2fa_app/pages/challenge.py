"""The second-factor challenge page."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error, labeled_input, submit_button
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import otp_input, resend_button
from sms2fa_app.config import get_settings
from sms2fa_app.state.challenge import ChallengeState, Factor


def _method_links() -> rx.Component:
    """Switch factors: 'Text me a code', 'Use my authenticator app', 'Use a recovery code'."""
    return rx.vstack(
        rx.cond(
            ChallengeState.method != Factor.SMS,
            rx.button("Text me a code", on_click=ChallengeState.use_method(Factor.SMS), variant="ghost", size="2"),
        ),
        rx.cond(
            ChallengeState.has_totp & (ChallengeState.method != Factor.TOTP),
            rx.button(
                "Use my authenticator app", on_click=ChallengeState.use_method(Factor.TOTP), variant="ghost", size="2"
            ),
        ),
        rx.cond(
            ChallengeState.method != Factor.RECOVERY,
            rx.button(
                "Use a recovery code", on_click=ChallengeState.use_method(Factor.RECOVERY), variant="ghost", size="2"
            ),
        ),
        spacing="2",
        align="start",
    )


def _prompt() -> rx.Component:
    return rx.match(
        ChallengeState.method,
        (Factor.TOTP, rx.text("Enter the 6-digit code from your authenticator app.")),
        (Factor.RECOVERY, rx.text("Enter one of your recovery codes. Each works once.")),
        rx.text("Enter the 6-digit code we sent to the number ending in ", ChallengeState.phone_ending, "."),
    )


def challenge_page() -> rx.Component:
    """The code form for the chosen factor, a resend button for texts, and the other factors."""
    return card(
        "Two-factor authentication",
        _prompt(),
        rx.form(
            rx.vstack(
                rx.cond(
                    ChallengeState.method == Factor.RECOVERY,
                    labeled_input("Recovery code", "code", autocomplete="off", auto_focus=True),
                    otp_input(),
                ),
                rx.el.label(
                    rx.hstack(rx.checkbox(name="remember"), rx.text(ChallengeState.remember_label, size="2")),
                ),
                form_error(ChallengeState.error),
                rx.cond(ChallengeState.notice != "", rx.text(ChallengeState.notice, size="2", role="status")),
                submit_button("Verify", ChallengeState.verifying),
                spacing="3",
                width="100%",
            ),
            on_submit=ChallengeState.verify,
            reset_on_submit=True,
            width="100%",
        ),
        rx.cond(
            ChallengeState.method == Factor.SMS,
            resend_button(
                ChallengeState.resend_at, ChallengeState.resend, ChallengeState.resending, max_seconds=_longest_wait()
            ),
        ),
        _method_links(),
        rx.button("Cancel and log out", on_click=ChallengeState.log_out, variant="ghost", size="2"),
    )


def _longest_wait() -> int:
    """The longest wait a resend button can show: the server's cooldown (read when the page is compiled)."""
    return get_settings().otp_resend_cooldown_seconds
