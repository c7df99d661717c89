"""Sign-up and log-in pages."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import form_error, labeled_input, submit_button
from sms2fa_app.components.layout import card
from sms2fa_app.components.pow import proof_of_work
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.signup import SignupState


def signup_page() -> rx.Component:
    """Email, password, confirmation; errors next to their field."""
    return card(
        "Create your account",
        rx.form(
            rx.vstack(
                labeled_input("Email", "email", error=SignupState.email_error, type_="email", autocomplete="email"),
                labeled_input(
                    "Password",
                    "password",
                    error=SignupState.password_error,
                    type_="password",
                    autocomplete="new-password",
                ),
                labeled_input(
                    "Confirm password",
                    "confirm_password",
                    error=SignupState.confirm_error,
                    type_="password",
                    autocomplete="new-password",
                ),
                form_error(SignupState.form_error),
                submit_button("Create account", SignupState.loading),
                spacing="3",
                width="100%",
            ),
            on_submit=SignupState.sign_up,
            width="100%",
        ),
        rx.text("Already have an account? ", rx.link("Log in", href="/login"), size="2"),
    )


def login_page() -> rx.Component:
    """Email and password."""
    return card(
        "Log in",
        rx.form(
            rx.vstack(
                labeled_input("Email", "email", type_="email", autocomplete="username"),
                labeled_input("Password", "password", type_="password", autocomplete="current-password"),
                form_error(LoginState.error),
                proof_of_work(LoginState.pow_challenge),
                submit_button("Log in", LoginState.loading),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.log_in,
            width="100%",
        ),
        rx.text("New here? ", rx.link("Create an account", href="/signup"), size="2"),
    )
