"""The step-up page: a protected page asked for a factor again (state/step_up.py)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import factor_choices, factor_code_input, resend_button
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.components.waits import lock_countdown, verify_button
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.step_up import StepUpState


def _prompt() -> rx.Component:
    return rx.match(
        StepUpState.method,
        (Factor.TOTP, rx.text("Enter the 6-digit code from your authenticator app.")),
        (Factor.RECOVERY, rx.text("Enter one of your recovery codes. Each works once.")),
        rx.text("We'll text a 6-digit code to the number ending in ", StepUpState.phone_ending, "."),
    )


def _send() -> rx.Component:
    """'Send code' (then 'Resend code' after the server's cooldown), for a texted code only."""
    return rx.cond(
        StepUpState.method == Factor.SMS,
        rx.vstack(
            proof_of_work(StepUpState.pow_challenge),
            resend_button(
                StepUpState.resend_at, with_proof(StepUpState.send_code), StepUpState.sending, label="Send code"
            ),
            spacing="2",
            width="100%",
        ),
    )


def _code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            factor_code_input(StepUpState.method),
            form_error(StepUpState.error, StepUpState.error_id),
            lock_countdown(StepUpState.locked_until),
            rx.cond(
                StepUpState.notice != "",
                rx.text(
                    StepUpState.notice, size="2", role="status", custom_attrs={"data-message-id": StepUpState.notice_id}
                ),
            ),
            verify_button("Verify", StepUpState.locked_until, StepUpState.verifying),
            spacing="3",
            width="100%",
        ),
        on_submit=StepUpState.verify,
        reset_on_submit=True,
        width="100%",
    )


def step_up_page() -> rx.Component:
    """The code form for the chosen factor, 'Send code' for texts, and the other factors."""
    return card(
        "Confirm it's you",
        rx.text("This page asks for your second factor again.", size="2", color_scheme="gray"),
        _prompt(),
        _code_form(),
        _send(),
        factor_choices(StepUpState.method, StepUpState.has_totp, StepUpState.use_method),
        rx.button("Log out", on_click=StepUpState.log_out, variant="ghost", size="2"),
    )
