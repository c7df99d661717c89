"""The words users see: short, safe messages for the backend's typed results."""

from __future__ import annotations

import math

from sms2fa_app.backend.factors.changes import FactorChange
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import SendRefusal, SendRefused
from sms2fa_app.backend.identity.accounts import SignupProblem
from sms2fa_app.backend.identity.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

SERVICE_UNAVAILABLE = "Something went wrong on our side. Try again in a moment."
INVALID_CREDENTIALS = "Incorrect email or password."
MISSING_CREDENTIALS = "Enter your email and password."
SESSION_EXPIRED = "Your session has ended. Log in again."
INVALID_REQUEST = "That request wasn't valid. Reload the page and try again."

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


_CODE_PROMPTS: dict[Factor, str] = {
    Factor.SMS: "Enter the 6-digit code from the text message.",
    Factor.TOTP: "Enter the 6-digit code from your authenticator app.",
    Factor.RECOVERY: "Enter a recovery code like abcde-fghjk.",
}
_ALREADY_USED: dict[Factor, str] = {
    Factor.SMS: "That code was already used. Request a new code.",
    Factor.TOTP: "That code was already used. Wait for the next one in your app.",
    Factor.RECOVERY: "That recovery code was already used. Try another one.",
}


def verify_failed(result: VerifyResult, factor: Factor = Factor.SMS) -> str:
    """Why a code of this factor was not accepted."""
    status = result.status
    if status is VerifyStatus.LOCKED:
        return f"Too many failed attempts. Try again in {wait_phrase(max(1, result.retry_after_seconds))}."
    if status is VerifyStatus.MALFORMED:
        return _CODE_PROMPTS[factor]
    if status is VerifyStatus.ALREADY_USED:
        return _ALREADY_USED[factor]
    if factor is Factor.RECOVERY:
        return "That recovery code isn't valid or was already used."
    if factor is Factor.TOTP:
        if status is VerifyStatus.EXPIRED:
            return "Set up your authenticator app first."
        return "That code isn't right. Check the time on your phone and use the newest code."
    if status is VerifyStatus.WRONG:
        tries = "1 try" if result.attempts_left == 1 else f"{result.attempts_left} tries"
        return f"That code isn't right. {tries} left."
    if status is VerifyStatus.EXPIRED:
        return "That code has expired or was replaced. Request a new code."
    return "Too many wrong tries. Request a new code."


CODE_SENT = "We sent a new code to the number ending in {ending}."
PHONE_TAKEN = "This number can't be used. Try another one."
NO_PROOF = "Verify a code sent to this number first."
REAUTH_REQUIRED = "Confirm your password and a code first."
TWO_FACTOR_ON = "Two-factor authentication is on."
TWO_FACTOR_OFF = "Two-factor authentication is off."
RECOVERY_CODES_NEW = "New recovery codes made. The old ones no longer work."
TOTP_ADDED = "Authenticator app added."
TOTP_REMOVED = "Authenticator app removed."
PASSWORD_WRONG = "That password isn't right."
PASSWORD_MISSING = "Enter your password."
SAME_NUMBER = "Codes already go to this number. Enter a different one."
NOT_ALLOWED = "That change doesn't apply to your account as it is now."


def remember_device(days: int) -> str:
    """The label of the challenge's "remember this device" checkbox."""
    return "Remember this device for 1 day" if days == 1 else f"Remember this device for {days} days"


FACTOR_CHANGE_ERRORS: dict[FactorChange, str] = {
    FactorChange.PHONE_TAKEN: PHONE_TAKEN,
    FactorChange.NO_PROOF: NO_PROOF,
    FactorChange.REAUTH_REQUIRED: REAUTH_REQUIRED,
    FactorChange.NOT_ALLOWED: NOT_ALLOWED,
}
