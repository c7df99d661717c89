"""The words users see: short, safe messages for the backend's typed results."""

from __future__ import annotations

import math

from sms2fa_app.backend.factors.sms_codes import SendRefusal, SendRefused, VerifyResult, VerifyStatus
from sms2fa_app.backend.identity.accounts import SignupProblem
from sms2fa_app.backend.identity.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

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
    SignupProblem.TOO_MANY_SIGNUPS: ("form", "Too many new accounts from your network. Try again later."),
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


_SEND_REFUSALS: dict[SendRefusal, str] = {
    SendRefusal.COOLDOWN: "Please wait {wait} before asking for another code.",
    SendRefusal.USER_LIMIT: "You've asked for too many codes. Try again in {wait}.",
    SendRefusal.PHONE_LIMIT: "Too many codes were sent to this number. Try again in {wait}.",
    SendRefusal.IP_LIMIT: "Too many codes were requested from your network. Try again in {wait}.",
    SendRefusal.GLOBAL_BUDGET: "We can't send codes right now. Try again in {wait}.",
    SendRefusal.COUNTRY_NOT_ALLOWED: "We can't text numbers in that country yet.",
    SendRefusal.INVALID_NUMBER: "Enter a valid mobile number with its country code, like +1 415 555 2671.",
    SendRefusal.NUMBER_TYPE_NOT_ALLOWED: "That number can't receive our texts. Use a mobile number.",
    SendRefusal.UNDELIVERABLE: "We couldn't text that number.",
    SendRefusal.DELIVERY_FAILED: "We couldn't send the code. Try again in a moment.",
}


def send_refused(refused: SendRefused) -> str:
    """Why a code was not sent, with the wait when there is one."""
    return _SEND_REFUSALS[refused.reason].format(wait=wait_phrase(max(1, refused.retry_after_seconds)))


def verify_failed(result: VerifyResult) -> str:
    """Why a code was not accepted."""
    status = result.status
    if status is VerifyStatus.WRONG:
        tries = "1 try" if result.attempts_left == 1 else f"{result.attempts_left} tries"
        return f"That code isn't right. {tries} left."
    if status is VerifyStatus.EXPIRED:
        return "That code has expired or was replaced. Request a new code."
    if status is VerifyStatus.TOO_MANY_ATTEMPTS:
        return "Too many wrong tries. Request a new code."
    if status is VerifyStatus.LOCKED:
        return f"Too many failed attempts. Try again in {wait_phrase(max(1, result.retry_after_seconds))}."
    return "Enter the 6-digit code from the text message."


def recovery_failed(result: VerifyResult) -> str:
    """Why a recovery code was not accepted."""
    if result.status is VerifyStatus.LOCKED:
        return verify_failed(result)
    if result.status is VerifyStatus.MALFORMED:
        return "Enter a recovery code like abcde-fghjk."
    return "That recovery code isn't valid or was already used."


CODE_SENT = "We sent a new code to the number ending in {ending}."
PHONE_TAKEN = "This number can't be used. Try another one."
NO_PROOF = "Verify a code sent to this number first."
REAUTH_REQUIRED = "Confirm your password and a code first."
TWO_FACTOR_ON = "Two-factor authentication is on."
TWO_FACTOR_OFF = "Two-factor authentication is off."
SIGNED_IN = "You're signed in."
RECOVERY_CODES_NEW = "New recovery codes made. The old ones no longer work."
TOTP_ADDED = "Authenticator app added."
TOTP_REMOVED = "Authenticator app removed."
PASSWORD_WRONG = "That password isn't right."
PASSWORD_MISSING = "Enter your password."
