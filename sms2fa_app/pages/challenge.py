"""The second-factor challenge page."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error, submit_button
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import otp_input, resend_button
from sms2fa_app.state.challenge import ChallengeState


def challenge_page() -> rx.Component:
    """'Enter the 6-digit code we sent to the number ending in 1212.'"""
    return card(
        "Two-factor authentication",
        rx.text("Enter the 6-digit code we sent to the number ending in ", ChallengeState.phone_ending, "."),
        rx.form(
            rx.vstack(
                otp_input(),
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
        resend_button(ChallengeState.resend_seconds, ChallengeState.resend, ChallengeState.resending),
        rx.button("Cancel and log out", on_click=ChallengeState.log_out, variant="ghost", size="2"),
    )
