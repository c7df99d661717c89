"""The second-factor challenge page."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error, labeled_input, submit_button
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import factor_choices, otp_input, resend_button
from sms2fa_app.state.challenge import ChallengeState, Factor


def _prompt() -> rx.Component:
    return rx.match(
        ChallengeState.method,
        (Factor.TOTP, rx.text("Enter the 6-digit code from your authenticator app.")),
        (Factor.RECOVERY, rx.text("Enter one of your recovery codes. Each works once.")),
        (
            Factor.PASSKEY,
            rx.text("Use your passkey: your device asks for your fingerprint, face, PIN or security key."),
        ),
        rx.text("Enter the 6-digit code we sent to the number ending in ", ChallengeState.phone_ending, "."),
    )


def _remember_box() -> rx.Component:
    """'Remember this device': Radix draws the box as a button, which a wrapping <label> does not name."""
    return rx.el.label(
        rx.hstack(
            rx.checkbox(name="remember", aria_labelledby="remember-label"),
            rx.text(ChallengeState.remember_label, id="remember-label", size="2"),
        ),
    )


def _passkey_form() -> rx.Component:
    """One button: the browser asks the user's authenticator (the server checks its answer)."""
    return rx.form(
        rx.vstack(
            _remember_box(),
            form_error(ChallengeState.error),
            submit_button("Verify with a passkey", ChallengeState.verifying),
            spacing="3",
            width="100%",
        ),
        on_submit=ChallengeState.start_passkey,
        width="100%",
    )


def _code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                ChallengeState.method == Factor.RECOVERY,
                labeled_input("Recovery code", "code", autocomplete="off", auto_focus=True),
                otp_input(),
            ),
            _remember_box(),
            form_error(ChallengeState.error),
            rx.cond(ChallengeState.notice != "", rx.text(ChallengeState.notice, size="2", role="status")),
            submit_button("Verify", ChallengeState.verifying),
            spacing="3",
            width="100%",
        ),
        on_submit=ChallengeState.verify,
        reset_on_submit=True,
        width="100%",
    )


def challenge_page() -> rx.Component:
    """The form for the chosen factor, a resend button for texts, and the other factors."""
    return card(
        "Two-factor authentication",
        _prompt(),
        rx.cond(ChallengeState.method == Factor.PASSKEY, _passkey_form(), _code_form()),
        rx.cond(
            ChallengeState.method == Factor.SMS,
            resend_button(ChallengeState.resend_seconds, ChallengeState.resend, ChallengeState.resending),
        ),
        factor_choices(
            ChallengeState.method, ChallengeState.has_totp, ChallengeState.use_method, ChallengeState.has_passkey
        ),
        rx.button("Cancel and log out", on_click=ChallengeState.log_out, variant="ghost", size="2"),
    )
