"""The pages email links open: forgot password, reset password (second factor, then the new password), and
email verification."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.focus import focused_heading
from sms2fa_app.components.forms import form_error, labeled_input, new_password_fields, submit_button
from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.components.otp import RESEND_BUTTON, factor_choices, factor_code_input, resend_button
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.state import words
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.password_reset import (
    DONE,
    FACTOR,
    INVALID,
    NEW_PASSWORD,
    ForgotPasswordState,
    ResetPasswordState,
)
from sms2fa_app.state.verify_email import VerifyEmailState

STEP_HEADING = "step-heading"  # each step's heading, focused when the step appears


def forgot_password_page() -> rx.Component:
    """The address; then the same answer whatever it is."""
    return card(
        words.pages.RESET_YOUR_PASSWORD,
        rx.cond(
            ForgotPasswordState.sent != "",
            rx.vstack(
                focused_heading(words.pages.CHECK_YOUR_EMAIL, STEP_HEADING),
                rx.callout(
                    ForgotPasswordState.sent,
                    icon="mail",
                    color_scheme="green",
                    role="status",
                    width="100%",
                    custom_attrs={"data-message-id": ForgotPasswordState.sent_id},
                ),
                width="100%",
            ),
            rx.form(
                rx.vstack(
                    rx.text(t(words.pages.ENTER_ACCOUNT_EMAIL), size="2"),
                    labeled_input(
                        words.pages.EMAIL,
                        "email",
                        type_="email",
                        autocomplete="username",
                        auto_focus=True,  # the page opens on its one field, as log-in and sign-up do
                        default_value=ForgotPasswordState.email_prefill,
                        key=ForgotPasswordState.email_prefill,  # a prefill arrives after the first paint
                    ),
                    form_error(ForgotPasswordState.error, ForgotPasswordState.error_id),
                    submit_button(words.pages.SEND_RESET_LINK, ForgotPasswordState.busy),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ForgotPasswordState.request_reset,
                width="100%",
            ),
        ),
        rx.link(t(words.pages.BACK_TO_LOG_IN), href="/login", size="2"),
    )


NEW_PASSWORD_HEADING = "new-password-heading"
SEND_RESET_CODE = "send-reset-code"  # the first "Text me the code" (its id: the proof of work presses it again)


def _factor_form() -> rx.Component:
    state = ResetPasswordState
    return rx.form(
        rx.vstack(
            factor_code_input(state.method),
            form_error(state.error, state.error_id),
            submit_button(words.pages.VERIFY, state.busy),
            spacing="3",
            width="100%",
        ),
        on_submit=state.verify_factor,
        reset_on_submit=True,
        width="100%",
    )


def _factor_step() -> rx.Component:
    """Any enrolled factor: a texted code (sent on request), the authenticator app or a recovery code."""
    state = ResetPasswordState
    return rx.vstack(
        focused_heading(words.pages.CONFIRM_ITS_YOU, STEP_HEADING),
        rx.text(t(words.pages.RESET_NEEDS_SECOND_FACTOR), size="2"),
        rx.match(
            state.method,
            (Factor.TOTP, rx.text(t(words.pages.ENTER_APP_CODE), size="2")),
            (Factor.RECOVERY, rx.text(t(words.pages.ENTER_RECOVERY_CODE), size="2")),
            rx.text(t(words.pages.WE_WILL_TEXT_ENDING, ending=state.phone_ending), size="2"),
        ),
        rx.cond(
            (state.method == Factor.SMS) & ~state.code_sent,
            rx.vstack(
                form_error(state.error, state.error_id),
                proof_of_work(state.pow_challenge, resubmit=state.proof_asked, retry=SEND_RESET_CODE),
                rx.button(
                    t(words.pages.TEXT_ME_THE_CODE),
                    on_click=with_proof(state.send_code),
                    loading=state.busy,
                    size="3",
                    width="100%",
                    auto_focus=True,
                    id=SEND_RESET_CODE,
                ),
                width="100%",
            ),
            _factor_form(),
        ),
        rx.cond(
            state.notice != "",
            rx.text(state.notice, size="2", role="status", custom_attrs={"data-message-id": state.notice_id}),
        ),
        rx.cond(
            (state.method == Factor.SMS) & state.code_sent,
            rx.vstack(
                proof_of_work(state.pow_challenge, resubmit=state.proof_asked, retry=RESEND_BUTTON),
                resend_button(state.resend_at, with_proof(state.send_code), state.busy, held=state.sends_held),
                width="100%",
            ),
        ),
        factor_choices(state.method, state.has_totp, state.use_method),
        spacing="3",
        width="100%",
    )


def _new_password_step() -> rx.Component:
    state = ResetPasswordState
    return rx.form(
        rx.vstack(
            focused_heading(words.pages.YOUR_NEW_PASSWORD, STEP_HEADING),
            new_password_fields(
                state,
                label=words.pages.NEW_PASSWORD,
                confirm_label=words.pages.CONFIRM_NEW_PASSWORD,
                rule=words.login.PASSWORD_RULE,
            ),
            form_error(state.error, state.error_id),
            submit_button(words.pages.SET_NEW_PASSWORD, state.busy),
            spacing="3",
            width="100%",
        ),
        on_submit=state.set_password,
        width="100%",
    )


def reset_password_page() -> rx.Component:
    """One step at a time, as the server says."""
    state = ResetPasswordState
    return card(
        words.pages.CHOOSE_NEW_PASSWORD,
        rx.match(
            state.step,
            (
                INVALID,
                rx.vstack(
                    focused_heading(words.pages.LINK_UNUSABLE, STEP_HEADING),
                    rx.callout(
                        t(words.pages.LINK_EXPIRED),
                        icon="triangle_alert",
                        color_scheme="red",
                        role="alert",
                        width="100%",
                    ),
                    rx.link(t(words.pages.ASK_FOR_NEW_LINK), href="/forgot-password", size="2"),
                    width="100%",
                ),
            ),
            (FACTOR, _factor_step()),
            (NEW_PASSWORD, _new_password_step()),
            (
                DONE,
                rx.vstack(
                    focused_heading(words.pages.PASSWORD_CHANGED, STEP_HEADING),
                    rx.callout(
                        state.notice,
                        icon="circle_check",
                        color_scheme="green",
                        role="status",
                        width="100%",
                        custom_attrs={"data-message-id": state.notice_id},
                    ),
                    rx.link(t(words.pages.LOG_IN), href="/login"),
                    width="100%",
                ),
            ),
            rx.spinner(),
        ),
    )


def verify_email_page() -> rx.Component:
    """A button confirms the address (opening the link alone does not)."""
    state = VerifyEmailState
    return card(
        words.pages.CONFIRM_YOUR_EMAIL,
        rx.cond(
            state.done,
            rx.vstack(
                focused_heading(
                    rx.cond(state.verified, t(words.pages.EMAIL_CONFIRMED), t(words.pages.LINK_UNUSABLE)), STEP_HEADING
                ),
                rx.cond(
                    state.verified,
                    rx.callout(state.message, icon="circle_check", color_scheme="green", role="status", width="100%"),
                    rx.callout(state.message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
                ),
                rx.link(t(words.pages.LOG_IN), href="/login"),
                width="100%",
            ),
            rx.vstack(
                focused_heading(words.pages.ONE_STEP_LEFT, STEP_HEADING),
                rx.text(t(words.pages.CONFIRM_TO_FINISH), size="2"),
                form_error(state.message, state.message_id),
                rx.button(
                    t(words.pages.CONFIRM_MY_EMAIL), on_click=state.confirm, loading=state.busy, size="3", width="100%"
                ),
                width="100%",
            ),
        ),
    )
