"""The words users see: short, safe messages for the backend's typed results."""

from __future__ import annotations

import math

from sms2fa_app.backend.accounts import SignupProblem
from sms2fa_app.backend.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

SERVICE_UNAVAILABLE = "Something went wrong on our side. Try again in a moment."
INVALID_CREDENTIALS = "Incorrect email or password."
MISSING_CREDENTIALS = "Enter your email and password."
SESSION_EXPIRED = "Your session has ended. Log in again."

SIGNUP_PROBLEMS: dict[SignupProblem, tuple[str, str]] = {
    # problem -> (field, message); field is "email", "password" or "confirm"
    SignupProblem.EMAIL_MISSING: ("email", "Enter your email address."),
    SignupProblem.EMAIL_INVALID: ("email", "Enter a valid email address, like name@example.com."),
    SignupProblem.EMAIL_TAKEN: ("email", "An account with this email already exists. Log in instead."),
    SignupProblem.PASSWORD_EMPTY: ("password", "Choose a password."),
    SignupProblem.PASSWORD_TOO_SHORT: ("password", f"Use at least {MIN_PASSWORD_LENGTH} characters."),
    SignupProblem.PASSWORD_TOO_LONG: ("password", f"Use at most {MAX_PASSWORD_LENGTH} characters."),
    SignupProblem.PASSWORDS_DIFFER: ("confirm", "The passwords don't match."),
}


def minutes(seconds: int) -> str:
    """'1 minute' or 'N minutes', rounded up."""
    count = max(1, math.ceil(seconds / 60))
    return "1 minute" if count == 1 else f"{count} minutes"


def wait_phrase(seconds: int) -> str:
    """'42 seconds' under two minutes, else minutes, rounded up."""
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return minutes(seconds)


def login_throttled(seconds: int) -> str:
    """Too many failed logins."""
    return f"Too many failed attempts. Try again in {minutes(seconds)}."
