"""The words users see: short, safe messages for the backend's typed results."""

from __future__ import annotations

import math

from sms2fa_app.backend.audit.activity import ActivityEntry, EventKind
from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.passkeys import MAX_PASSKEY_NAME_LENGTH, MAX_PASSKEYS_PER_USER, PasskeyProblem
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import SendRefusal, SendRefused
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.identity.accounts import SignupProblem
from sms2fa_app.backend.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordProblem,
    PasswordStrength,
    Weakness,
)

SERVICE_UNAVAILABLE = "Something went wrong on our side. Try again in a moment."
INVALID_CREDENTIALS = "Incorrect email or password."
MISSING_CREDENTIALS = "Enter your email and password."
SESSION_EXPIRED = "Your session has ended. Log in again."
INVALID_REQUEST = "That request wasn't valid. Reload the page and try again."

ENTER_EMAIL = "Enter your email address."
TOO_COMMON = "This password is too easy to guess: it is common, or close to a common one. Choose another."

SIGNUP_PROBLEMS: dict[SignupProblem, tuple[str, str]] = {
    # problem -> (field, message); field is "email", "password" or "confirm"
    SignupProblem.EMAIL_MISSING: ("email", ENTER_EMAIL),
    SignupProblem.EMAIL_INVALID: ("email", "Enter a valid email address, like name@example.com."),
    SignupProblem.EMAIL_TAKEN: ("email", "An account with this email already exists."),  # + "Log in instead"
    SignupProblem.PASSWORD_EMPTY: ("password", "Choose a password."),
    SignupProblem.PASSWORD_TOO_SHORT: ("password", f"Use at least {MIN_PASSWORD_LENGTH} characters."),
    SignupProblem.PASSWORD_TOO_LONG: ("password", f"Use at most {MAX_PASSWORD_LENGTH} characters."),
    SignupProblem.PASSWORD_TOO_COMMON: ("password", TOO_COMMON),
    SignupProblem.PASSWORDS_DIFFER: ("confirm", "The passwords don't match."),
    SignupProblem.TOO_MANY_SIGNUPS: ("form", "Too many sign-ups from your network or for this address. Try later."),
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


LOGIN_THROTTLED = "Too many failed attempts, so password checks are paused."  # the page counts the wait down


def too_many_requests(seconds: int) -> str:
    """A per-address or per-network limit of sign-ups or reset links."""
    return f"Too many requests. Try again in {minutes(seconds)}."


LOGIN_PROOF_REQUIRED = "One more step: wait for the check below to finish, then press Log in again."
PASSKEY_PROOF_REQUIRED = "One more step: wait for the check above to finish, then sign in with the passkey again."


_SEND_REFUSALS: dict[SendRefusal, str] = {
    SendRefusal.COOLDOWN: "A code was just sent to this number. The button below counts down to the next one.",
    SendRefusal.USER_LIMIT: "You've asked for too many codes. Try again in {wait}.",
    SendRefusal.PHONE_LIMIT: "Too many codes were sent to this number. Try again in {wait}.",
    SendRefusal.IP_LIMIT: "Too many codes were requested from your network. Try again in {wait}.",
    SendRefusal.GLOBAL_BUDGET: "We can't send codes right now. Try again in {wait}.",
    SendRefusal.VOICE_LIMIT: "You've asked for too many calls. Try again in {wait}.",
    SendRefusal.COUNTRY_BLOCKED: "We can't send codes to numbers in this country right now. Try again in {wait}.",
    SendRefusal.PROOF_REQUIRED: "One more step: wait for the check below to finish, then ask again.",
    SendRefusal.COUNTRY_NOT_ALLOWED: "We can't text numbers in that country yet.",
    SendRefusal.INVALID_NUMBER: "Enter a valid mobile number with its country code, like +1 415 555 2671.",
    SendRefusal.NUMBER_TYPE_NOT_ALLOWED: "That number can't receive our texts. Use a mobile number.",
    SendRefusal.UNDELIVERABLE: "We couldn't text that number.",
    SendRefusal.DELIVERY_FAILED: "We couldn't send the code. Try again in a moment.",
}


def send_refused(refused: SendRefused) -> str:
    """Why a code was not sent, with the wait when there is one."""
    return _SEND_REFUSALS[refused.reason].format(wait=wait_phrase(max(1, refused.retry_after_seconds)))


# Per factor: (wrong guess, malformed input, right but already used); "{tries}" is filled in.
_VERIFY_WORDS: dict[Factor, tuple[str, str, str]] = {
    Factor.SMS: (
        "That code isn't right. {tries} left.",
        "Enter the 6 digits from the text message.",
        "That code was already used. Request a new code.",
    ),
    Factor.TOTP: (
        "That code isn't right. Use the newest code in your authenticator app, and check that your phone "
        "sets its clock automatically. {tries} left.",
        "Enter the 6 digits your authenticator app shows for this account.",
        "That code was already used. Wait for the next one in your app.",
    ),
    Factor.RECOVERY: (
        "That recovery code isn't one of yours. {tries} left.",
        "A recovery code has 10 letters and digits, like k7m2p-x9qrt.",
        "That recovery code was already used. Each works once: try another one.",
    ),
    Factor.PASSKEY: (
        "That passkey wasn't accepted. Try again, or choose another way below.",
        "That passkey answer wasn't valid. Try again, or choose another way below.",
        "That passkey was just used. Try again.",
    ),
}
# Per factor: what was tried too often (the lock itself is counted down live by the page).
_LOCKED_WHAT: dict[Factor, str] = {
    Factor.SMS: "Too many wrong codes.",
    Factor.TOTP: "Too many wrong authenticator codes.",
    Factor.RECOVERY: "Too many wrong recovery codes.",
    Factor.PASSKEY: "Too many passkeys were refused.",
}
# Every factor shares one lock (a recovery code is a second factor too): say so, so nobody retries in vain.
LOCKED_SHARED = "Every way to verify, recovery codes included, is paused until the countdown ends."
LOCK_WAITING = "Try again in {clock}."  # the live countdown under a lock ({clock}: 0:57)
LOCK_READY = "You can try again now."
VERIFY_LOCKED = "Wait {clock}"  # a Verify (or Log in) button while locked
SEND_WAITING = "Send code in {clock}"  # a "Send code" button while this number's cooldown runs


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


def locked(factor: Factor) -> str:
    """The lock, in words (the page counts its wait down next to it)."""
    return f"{_LOCKED_WHAT[factor]} {LOCKED_SHARED}"


def verify_failed(result: VerifyResult, factor: Factor = Factor.SMS) -> str:
    """Why a code of this factor was not accepted (a LOCKED result: see `locked`, counted down by the page)."""
    status = result.status
    wrong, malformed, used = _VERIFY_WORDS[factor]
    if status is VerifyStatus.LOCKED:
        return locked(factor)
    if status is VerifyStatus.MALFORMED:
        return malformed
    if status is VerifyStatus.ALREADY_USED:
        return used
    if status is VerifyStatus.WRONG:
        return wrong.format(tries=_tries(max(1, result.attempts_left)))
    if factor is Factor.PASSKEY:
        return PASSKEY_EXPIRED if status is VerifyStatus.EXPIRED else wrong
    if factor is Factor.TOTP:
        return "Set up your authenticator app first."
    if factor is Factor.RECOVERY:
        return "You have no recovery codes left. Choose another way below."
    if status is VerifyStatus.EXPIRED:
        return CODE_EXPIRED
    return "That code stopped working after too many wrong tries. Request a new code below."


CODE_EXPIRES = "Code expires in {clock}."  # the live countdown of a texted code
CODE_EXPIRED = "That code has expired or was replaced. Request a new code below."


def masked_email(email: str) -> str:
    """'a…@example.com': enough to recognise one's account, not to read the address off a shared screen."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if at and local else "…"


CODE_SENT = "We sent a new code to the number ending in {ending}."
CALLING = "We're calling the number ending in {ending}. Listen for the 6-digit code."

_DELIVERY: dict[tuple[Channel, DeliveryState], str] = {
    (Channel.SMS, DeliveryState.QUEUED): "Text queued",
    (Channel.SMS, DeliveryState.SENT): "Text sent to your carrier",
    (Channel.SMS, DeliveryState.DELIVERED): "Delivered",
    (Channel.SMS, DeliveryState.UNDELIVERED): "Not delivered: try a voice call",
    (Channel.SMS, DeliveryState.FAILED): "Not delivered: try a voice call",
    (Channel.VOICE, DeliveryState.QUEUED): "Calling you now",
    (Channel.VOICE, DeliveryState.DELIVERED): "Call answered",
}


def delivery_status(delivery: Delivery | None) -> str:
    """The live status of the newest code, e.g. "Delivered" or "Not delivered: try a voice call" ("" unknown)."""
    if delivery is None:
        return ""
    return _DELIVERY.get(
        (delivery.channel, delivery.state), "Calling you now" if delivery.channel is Channel.VOICE else ""
    )


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


# ---- passkeys ----------------------------------------------------------------------------------------

PASSKEY_EXPIRED = "The passkey request expired or was already answered. Try again."
PASSKEY_ADDED = "Passkey added."
PASSKEY_REMOVED = "Passkey removed. Texted codes still protect your account."
PASSKEY_RENAMED = "Passkey renamed."
PASSKEY_NAME_INVALID = f"Use a name of 1 to {MAX_PASSKEY_NAME_LENGTH} characters."
PASSKEY_NONE = "You have no passkey yet. Choose another way to verify."
PASSKEY_SIGN_IN_FAILED = "That passkey didn't sign you in. Log in with your email and password instead."

PASSKEY_PROBLEMS: dict[PasskeyProblem, str] = {
    PasskeyProblem.MALFORMED: "Your browser's answer wasn't valid. Try again.",
    PasskeyProblem.EXPIRED: PASSKEY_EXPIRED,
    PasskeyProblem.REFUSED: "That passkey couldn't be checked, so it wasn't added. Try again.",
    PasskeyProblem.DUPLICATE: "That passkey is already added.",
    PasskeyProblem.TOO_MANY: f"You can have at most {MAX_PASSKEYS_PER_USER} passkeys. Remove one first.",
    PasskeyProblem.NAME_INVALID: PASSKEY_NAME_INVALID,
}


def passkey_browser_error(name: str, *, elsewhere: str = "choose another way to verify below") -> str:
    """What the browser's refusal (a DOMException name, or "unsupported") means, and what to do instead."""
    if name == "unsupported":
        return f"This browser can't use passkeys here. Please {elsewhere}."
    if name in ("NotAllowedError", "AbortError"):
        return f"The passkey request was cancelled or timed out. Try again, or {elsewhere}."
    if name == "InvalidStateError":
        return "This device already holds a passkey for your account."
    return f"The passkey didn't work in this browser. Try again, or {elsewhere}."


def passkey_sign_in_failed(result: VerifyResult) -> str:
    """Why the one-step sign-in on /login did not sign in."""
    if result.status is VerifyStatus.LOCKED:
        return verify_failed(result, Factor.PASSKEY)
    if result.status is VerifyStatus.EXPIRED:
        return PASSKEY_EXPIRED
    return PASSKEY_SIGN_IN_FAILED


# ---- accounts by email --------------------------------------------------------------------------

CHECK_EMAIL = "Check your email to finish signing up."
CHECK_EMAIL_DETAIL = "We sent a message to {email}. If you don't see it in a few minutes, look in your spam folder."
EMAIL_VERIFIED = "Your email address is confirmed. You can log in now."
VERIFY_LINK_INVALID = "This link has expired or was already used. Log in to get a new one."
RESET_LINK_INVALID = "This link has expired or was already used. Ask for a new one."
RESET_DONE = "Your password was changed and every session was signed out. Log in with your new password."
RESET_SECOND_FACTOR = "Confirm it's you with your second factor before you choose a new password."
ACCOUNT_DELETED = "Your account was deleted."
CONFIRM_DELETE_MISSING = "Tick the box to confirm that you want to delete your account."


def reset_sent(ttl_seconds: int) -> str:
    """The same answer for every address."""
    return (
        "If an account uses that address, we sent it a link to choose a new password. "
        f"The link works for {minutes(ttl_seconds)}."
    )


PASSWORD_PROBLEMS: dict[PasswordProblem, str] = {
    PasswordProblem.EMPTY: "Choose a password.",
    PasswordProblem.TOO_SHORT: f"Use at least {MIN_PASSWORD_LENGTH} characters.",
    PasswordProblem.TOO_LONG: f"Use at most {MAX_PASSWORD_LENGTH} characters.",
    PasswordProblem.TOO_COMMON: TOO_COMMON,
    PasswordProblem.MISMATCH: "The passwords don't match.",
}
_STRENGTH_LABELS = ("Very weak", "Weak", "Fair", "Good", "Strong")
_WEAKNESSES: dict[Weakness, str] = {
    Weakness.COMMON: "it is a commonly used password, word or name",
    Weakness.PERSONAL: "it is made from your email address",
    Weakness.PATTERN: "keyboard patterns, sequences and repeats are easy to guess",
    Weakness.DATE: "dates are easy to guess",
    Weakness.SHORT: "add more words or characters",
}


def password_strength(strength: PasswordStrength) -> str:
    """The hint under a new-password field, e.g. "Strength: weak (it is a commonly used password, ...)"."""
    label = _STRENGTH_LABELS[max(0, min(strength.score, 4))]
    if strength.weakness is None:
        return f"Strength: {label.lower()}."
    return f"Strength: {label.lower()} ({_WEAKNESSES[strength.weakness]})."


# ---- re-authentication and the settings page ----------------------------------------------------------

OPERATION_TITLES: dict[Operation, str] = {
    Operation.ENABLE_SMS: "Turn on two-factor authentication",
    Operation.CHANGE_NUMBER: "Change your phone number",
    Operation.DISABLE: "Turn off two-factor authentication",
    Operation.REGENERATE_CODES: "Make new recovery codes",
    Operation.ADD_TOTP: "Set up an authenticator app",
    Operation.REMOVE_TOTP: "Remove your authenticator app",
    Operation.ADD_PASSKEY: "Add a passkey",
    Operation.REMOVE_PASSKEY: "Remove a passkey",
    Operation.CHANGE_PASSWORD: "Change your password",
    Operation.DELETE_ACCOUNT: "Delete your account",
}
# What the re-authentication step's button says, and what the operation will do (shown under the heading).
OPERATION_CONFIRMS: dict[Operation, tuple[str, str]] = {
    Operation.ENABLE_SMS: ("Continue to your phone number", "Sign-ins will also need a code texted to you."),
    Operation.CHANGE_NUMBER: ("Continue to the new number", "Codes will go to the new number, not this one."),
    Operation.DISABLE: (
        "Turn off two-factor authentication",
        "Your password alone will protect your account; recovery codes and remembered devices stop working.",
    ),
    Operation.REGENERATE_CODES: ("Make new recovery codes", "Your current recovery codes will stop working."),
    Operation.ADD_TOTP: ("Continue to the QR code", "Sign-ins can then use a code from the app."),
    Operation.REMOVE_TOTP: ("Remove the authenticator app", "Its codes will stop working for sign-in."),
    Operation.ADD_PASSKEY: ("Continue to the passkey", "Sign-ins can then use this device's screen lock."),
    Operation.REMOVE_PASSKEY: ("Remove the passkey", "It will no longer sign you in."),
    Operation.CHANGE_PASSWORD: ("Continue to the new password", "Your other sessions will be signed out."),
    Operation.DELETE_ACCOUNT: ("Continue to deletion", "You confirm once more on the next screen."),
}
STEP_OF = "Step {number} of {total}"
PASSWORD_CHANGED = "Password changed. Your other sessions were signed out."
SESSION_ENDED = "That session was signed out."
OTHER_SESSIONS_ENDED = "Every other session was signed out."


# ---- the activity page ----------------------------------------------------------------------------

_SIGNED_IN_HOW = {
    "password": "Signed in with your password",
    Factor.SMS.value: "Signed in with a texted code",
    Factor.TOTP.value: "Signed in with your authenticator app",
    Factor.RECOVERY.value: "Signed in with a recovery code",
    Factor.PASSKEY.value: "Signed in with a passkey",
    "device": "Signed in on a remembered browser",
}
_FACTOR_NAMES = {
    Factor.SMS.value: "texted code",
    Factor.TOTP.value: "authenticator app",
    Factor.RECOVERY.value: "recovery code",
}
_ACTIVITY: dict[EventKind, str] = {
    EventKind.TWO_FACTOR_ON: "Two-factor authentication turned on",
    EventKind.TWO_FACTOR_OFF: "Two-factor authentication turned off",
    EventKind.TOTP_ADDED: "Authenticator app added",
    EventKind.TOTP_REMOVED: "Authenticator app removed",
    EventKind.PASSKEY_ADDED: "Passkey added",
    EventKind.PASSKEY_REMOVED: "Passkey removed",
    EventKind.RECOVERY_CODES_REGENERATED: "New recovery codes made",
    EventKind.PASSWORD_CHANGED: "Password changed",
    EventKind.PASSWORD_RESET: "Password reset by email link",
    EventKind.EMAIL_VERIFIED: "Email address confirmed",
    EventKind.ACCOUNT_DELETED: "Account deleted",
    EventKind.ADMIN_SESSIONS_ENDED: "An administrator signed you out everywhere",
    EventKind.ADMIN_LOCKOUT_CLEARED: "An administrator cleared the lock on your codes",
    EventKind.TWO_FACTOR_RESET_SCHEDULED: "An administrator scheduled a reset of two-factor authentication",
    EventKind.TWO_FACTOR_RESET_CANCELLED: "The reset of two-factor authentication was cancelled",
    EventKind.TWO_FACTOR_RESET: "Two-factor authentication was reset by an administrator",
}


def activity_line(entry: ActivityEntry) -> str:
    """What happened, in words (the time, browser and network are shown beside it)."""
    detail = entry.detail
    if entry.kind is EventKind.SIGNED_IN:
        return _SIGNED_IN_HOW.get(detail, "Signed in")
    if entry.kind is EventKind.SECOND_FACTOR_FAILED:
        if detail == Factor.PASSKEY.value:
            return "A passkey wasn't accepted"
        return f"Wrong {_FACTOR_NAMES.get(detail, 'code')} entered"
    if entry.kind is EventKind.LOCKOUT_STARTED:
        return f"Codes locked for {wait_phrase(int(detail or 0))} after too many wrong tries"
    if entry.kind is EventKind.PHONE_CHANGED:
        return f"Phone number changed (now ending in {detail})"
    if entry.kind is EventKind.RECOVERY_CODE_USED:
        return f"Recovery code used ({detail} left)"
    if entry.kind is EventKind.DEVICE_REMEMBERED:
        return f"Browser remembered for {detail} days"
    return _ACTIVITY[entry.kind]
