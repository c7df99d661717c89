"""The step-up page: a protected page asked for a factor again (state/step_up.py)."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error
from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import factor_choices, factor_code_input, resend_button
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.components.waits import lock_countdown, verify_button
from sms2fa_app.state import words
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.step_up import StepUpState


def _prompt() -> rx.Component:
    return rx.match(
        StepUpState.method,
        (Factor.TOTP, rx.text(t(words.pages.ENTER_APP_CODE))),
        (Factor.RECOVERY, rx.text(t(words.pages.ENTER_RECOVERY_CODE))),
        rx.text(t(words.pages.WE_WILL_TEXT_SIX_DIGITS, ending=StepUpState.phone_ending)),
    )


def _send() -> rx.Component:
    """'Send code' (then 'Resend code' after the server's cooldown), for a texted code only."""
    return rx.cond(
        StepUpState.method == Factor.SMS,
        rx.vstack(
            proof_of_work(StepUpState.pow_challenge),
            resend_button(
                StepUpState.resend_at,
                with_proof(StepUpState.send_code),
                StepUpState.sending,
                label=words.pages.SEND_CODE,
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
            verify_button(words.pages.VERIFY, StepUpState.locked_until, StepUpState.verifying),
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
        words.pages.CONFIRM_ITS_YOU,
        rx.text(t(words.pages.STEP_UP_ASKS_AGAIN), size="2", color_scheme="gray"),
        _prompt(),
        _code_form(),
        _send(),
        factor_choices(StepUpState.method, StepUpState.has_totp, StepUpState.use_method),
        rx.button(t(words.pages.LOG_OUT), on_click=StepUpState.log_out, variant="ghost", size="2"),
    )
