"""The words of the way in: sign-up, log in (password or passkey), email links, the password reset and the
notices the login page shows."""

from __future__ import annotations

from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.identity.accounts import SignupProblem
from sms2fa_app.backend.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordProblem,
    PasswordStrength,
    Weakness,
)
from sms2fa_app.state.words.catalogue import Text
from sms2fa_app.state.words.challenge import PASSKEY_EXPIRED, verify_failed
from sms2fa_app.state.words.common import minutes

# ---- log in ---------------------------------------------------------------------------------------------

INVALID_CREDENTIALS = Text("login.invalid_credentials", "Incorrect email or password.")
MISSING_CREDENTIALS = Text("login.missing_credentials", "Enter your email and password.")
LOGIN_THROTTLED = Text(  # the page counts the wait down
    "login.throttled", "Too many failed attempts, so password checks are paused."
)
LOGIN_PROOF_REQUIRED = Text(
    "login.proof_required", "One more step: your browser runs a quick check, then logs you in by itself."
)
PASSKEY_PROOF_REQUIRED = Text(
    "login.passkey_proof_required",
    "One more step: your browser runs a quick check. Then sign in with the passkey again.",
)
PASSKEY_SIGN_IN_FAILED = Text(
    "login.passkey_sign_in_failed", "That passkey didn't sign you in. Log in with your email and password instead."
)
LOGGED_OUT = Text("login.logged_out", "You've been logged out.")
LOG_IN_TO_CONTINUE = Text("login.log_in_to_continue", "Log in to continue.")
ACCOUNT_DELETED = Text("login.account_deleted", "Your account was deleted.")
TWO_FACTOR_NEEDED_FOR_APP = Text(  # forward-auth's `rd` asked more than this sign-in (the dashboard says it)
    "login.two_factor_needed_for_app", "This app needs two-factor sign-in: turn it on in settings."
)

# ---- sign up and passwords ------------------------------------------------------------------------------

ENTER_EMAIL = Text("signup.enter_email", "Enter your email address.")
EMAIL_INVALID = Text("signup.email_invalid", "Enter a valid email address, like name@example.com.")
EMAIL_TAKEN = Text("signup.email_taken", "An account with this email already exists.")  # + "Log in instead"
TOO_MANY_SIGNUPS = Text("signup.too_many", "Too many sign-ups from your network or for this address. Try later.")
TOO_MANY_REQUESTS = Text("signup.too_many_requests", "Too many requests. Try again in {wait}.")
PASSWORD_EMPTY = Text("password.empty", "Choose a password.")
PASSWORD_TOO_SHORT = Text("password.too_short", "Use at least {min} characters.")
PASSWORD_TOO_LONG = Text("password.too_long", "Use at most {max} characters.")
TOO_COMMON = Text(
    "password.too_common",
    "This password is too easy to guess: it is common, or close to a common one. Choose another.",
)
PASSWORDS_DIFFER = Text("password.mismatch", "The passwords don't match.")
PASSWORD_RULE = Text(
    "password.rule", "Use at least {min} characters. A few unrelated words make a strong password."
).format(min=MIN_PASSWORD_LENGTH)

PASSWORD_PROBLEMS: dict[PasswordProblem, str] = {
    PasswordProblem.EMPTY: PASSWORD_EMPTY,
    PasswordProblem.TOO_SHORT: PASSWORD_TOO_SHORT.format(min=MIN_PASSWORD_LENGTH),
    PasswordProblem.TOO_LONG: PASSWORD_TOO_LONG.format(max=MAX_PASSWORD_LENGTH),
    PasswordProblem.TOO_COMMON: TOO_COMMON,
    PasswordProblem.MISMATCH: PASSWORDS_DIFFER,
}
SIGNUP_PROBLEMS: dict[SignupProblem, tuple[str, str]] = {
    # problem -> (field, message); field is "email", "password", "confirm" or "form"
    SignupProblem.EMAIL_MISSING: ("email", ENTER_EMAIL),
    SignupProblem.EMAIL_INVALID: ("email", EMAIL_INVALID),
    SignupProblem.EMAIL_TAKEN: ("email", EMAIL_TAKEN),
    SignupProblem.PASSWORD_EMPTY: ("password", PASSWORD_PROBLEMS[PasswordProblem.EMPTY]),
    SignupProblem.PASSWORD_TOO_SHORT: ("password", PASSWORD_PROBLEMS[PasswordProblem.TOO_SHORT]),
    SignupProblem.PASSWORD_TOO_LONG: ("password", PASSWORD_PROBLEMS[PasswordProblem.TOO_LONG]),
    SignupProblem.PASSWORD_TOO_COMMON: ("password", TOO_COMMON),
    SignupProblem.PASSWORDS_DIFFER: ("confirm", PASSWORDS_DIFFER),
    SignupProblem.TOO_MANY_SIGNUPS: ("form", TOO_MANY_SIGNUPS),
}


def too_many_requests(seconds: int) -> str:
    """A per-address or per-network limit of sign-ups or reset links."""
    return TOO_MANY_REQUESTS.format(wait=minutes(seconds))


_STRENGTH_LABELS = (
    Text("password.strength.very_weak", "very weak"),
    Text("password.strength.weak", "weak"),
    Text("password.strength.fair", "fair"),
    Text("password.strength.good", "good"),
    Text("password.strength.strong", "strong"),
)
_STRENGTH = Text("password.strength", "Strength: {label}.")
_STRENGTH_BECAUSE = Text("password.strength_because", "Strength: {label} ({weakness}).")
_WEAKNESSES: dict[Weakness, Text] = {
    Weakness.COMMON: Text("password.weakness.common", "it is a commonly used password, word or name"),
    Weakness.PERSONAL: Text("password.weakness.personal", "it is made from your email address"),
    Weakness.PATTERN: Text("password.weakness.pattern", "keyboard patterns, sequences and repeats are easy to guess"),
    Weakness.DATE: Text("password.weakness.date", "dates are easy to guess"),
    Weakness.SHORT: Text("password.weakness.short", "add more words or characters"),
}


def password_strength(strength: PasswordStrength) -> str:
    """The hint under a new-password field, e.g. "Strength: weak (it is a commonly used password, ...)"."""
    label = _STRENGTH_LABELS[max(0, min(strength.score, 4))]
    if strength.weakness is None:
        return _STRENGTH.format(label=label)
    return _STRENGTH_BECAUSE.format(label=label, weakness=_WEAKNESSES[strength.weakness])


# ---- email links and the password reset ------------------------------------------------------------------

CHECK_EMAIL = Text("signup.check_email", "Check your email to finish signing up.")
CHECK_EMAIL_DETAIL = Text(
    "signup.check_email_detail",
    "We sent a message to {email}. If you don't see it in a few minutes, look in your spam folder.",
)
EMAIL_VERIFIED = Text("links.email_verified", "Your email address is confirmed. You can log in now.")
VERIFY_LINK_INVALID = Text(
    "links.verify_link_invalid", "This link has expired or was already used. Log in to get a new one."
)
RESET_LINK_INVALID = Text("links.reset_link_invalid", "This link has expired or was already used. Ask for a new one.")
RESET_DONE = Text(
    "reset.done", "Your password was changed and every session was signed out. Log in with your new password."
)
RESET_SECOND_FACTOR = Text(
    "reset.second_factor", "Confirm it's you with your second factor before you choose a new password."
)
_RESET_SENT = Text(
    "reset.sent",
    "If an account uses that address, we sent it a link to choose a new password. The link works for {ttl}.",
)


def reset_sent(ttl_seconds: int) -> str:
    """The same answer for every address."""
    return _RESET_SENT.format(ttl=minutes(ttl_seconds))


def passkey_sign_in_failed(result: VerifyResult) -> str:
    """Why the one-step sign-in on /login did not sign in."""
    if result.status is VerifyStatus.LOCKED:
        return verify_failed(result, Factor.PASSKEY)
    if result.status is VerifyStatus.EXPIRED:
        return PASSKEY_EXPIRED
    return PASSKEY_SIGN_IN_FAILED
