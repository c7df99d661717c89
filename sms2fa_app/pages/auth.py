"""Sign-up and log-in pages."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.browser_calls import passkey_ceremony
from sms2fa_app.components.focus import focused_heading
from sms2fa_app.components.forms import form_error, labeled_input, new_password_fields, said_callout, submit_button
from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.components.pow import proof_of_work, with_proof
from sms2fa_app.components.waits import lock_countdown, verify_button
from sms2fa_app.config import get_settings
from sms2fa_app.state import words
from sms2fa_app.state.errors import AppErrorState
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.signup import SignupState

FORGOT_PATH = "/forgot-password"


def _signup_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            labeled_input(
                words.pages.EMAIL,
                "email",
                error=SignupState.email_error,
                error_said=SignupState.email_error_id,
                type_="email",
                autocomplete="email",
                auto_focus=True,
            ),
            rx.cond(
                SignupState.email_taken,
                rx.link(t(words.pages.LOG_IN_INSTEAD), href="/login", size="2", underline="always"),
            ),
            new_password_fields(
                SignupState,
                password_error=SignupState.password_error,
                confirm_error=SignupState.confirm_error,
                said=(SignupState.password_error_id, SignupState.confirm_error_id),
                rule=words.login.PASSWORD_RULE,
            ),
            form_error(SignupState.form_error, SignupState.form_error_id),
            submit_button(words.pages.CREATE_ACCOUNT, SignupState.loading),
            spacing="3",
            width="100%",
        ),
        on_submit=SignupState.sign_up,
        width="100%",
    )


def _check_email() -> rx.Component:
    """The one answer to every sign-up with email verification on."""
    return rx.vstack(
        focused_heading(words.pages.CHECK_YOUR_EMAIL, "check-email-heading"),
        rx.callout(t(words.pages.CHECK_EMAIL_TO_FINISH), icon="mail", color_scheme="green", role="status"),
        rx.text(SignupState.check_email, size="2"),
        rx.link(t(words.pages.LOG_IN), href="/login", size="2", underline="always"),
        spacing="3",
        width="100%",
    )


def signup_page() -> rx.Component:
    """Email, password (with a strength hint), confirmation; errors next to their field."""
    return card(
        words.pages.CREATE_YOUR_ACCOUNT,
        rx.cond(
            SignupState.check_email != "",
            _check_email(),  # its own heading and one "Log in" link
            rx.fragment(
                _signup_form(),
                rx.text(
                    t(words.pages.ALREADY_HAVE_ACCOUNT),
                    " ",
                    rx.link(t(words.pages.LOG_IN_INSTEAD), href="/login", underline="always"),
                    size="2",
                ),
            ),
        ),
    )


def _login_error() -> rx.Component:
    """The form's error; the throttle and an unconfirmed address each offer a way on. An outage the page's banner
    already says (page_shell) is said once, there."""
    return rx.cond(
        (LoginState.error != "") & (LoginState.error != AppErrorState.message),
        rx.callout(
            rx.text(
                LoginState.error,
                rx.cond(
                    LoginState.throttled,
                    rx.fragment(" ", rx.link(t(words.pages.FORGOT_PASSWORD), href=FORGOT_PATH, underline="always")),
                ),
            ),
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            width="100%",
            custom_attrs={"data-message-id": LoginState.error_id},
        ),
    )


def login_page() -> rx.Component:
    """Email and password, "Forgot password?", a new verification link when the address is unconfirmed, the
    proof-of-work widget under pressure, or a passkey in one step."""
    return card(
        words.pages.LOG_IN,
        rx.form(
            rx.vstack(
                labeled_input(words.pages.EMAIL, "email", type_="email", autocomplete="username", auto_focus=True),
                labeled_input(words.pages.PASSWORD, "password", type_="password", autocomplete="current-password"),
                rx.cond(~LoginState.throttled, rx.link(t(words.pages.FORGOT_PASSWORD), href=FORGOT_PATH, size="2")),
                _login_error(),
                said_callout(LoginState.notice, LoginState.notice_id, icon="info", role="status"),
                proof_of_work(LoginState.pow_challenge, resubmit=LoginState.proof_asked),
                lock_countdown(LoginState.throttled_until, get_settings().login_window_seconds),
                verify_button(
                    words.pages.LOG_IN,
                    LoginState.throttled_until,
                    LoginState.loading,
                    get_settings().login_window_seconds,
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.log_in,
            width="100%",
        ),
        rx.hstack(
            rx.separator(size="4"),
            rx.text(t(words.pages.OR), size="2", color_scheme="gray"),
            rx.separator(size="4"),
            align="center",
            width="100%",
        ),
        rx.button(
            t(words.pages.SIGN_IN_WITH_PASSKEY),
            on_click=with_proof(LoginState.start_passkey_sign_in),
            loading=LoginState.passkey_busy,
            disabled=LoginState.passkey_busy,
            variant="soft",
            size="3",
            width="100%",
            type="button",
        ),
        passkey_ceremony(LoginState.passkey_request, LoginState.finish_passkey_sign_in),
        rx.text(
            t(words.pages.NEW_HERE),
            " ",
            rx.link(t(words.pages.CREATE_AN_ACCOUNT), href="/signup", underline="always"),
            size="2",
        ),
    )
