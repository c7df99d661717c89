"""The words of the settings pages and the dashboard's security card: each operation's step, what a change did,
the methods' rows, passkeys, recovery codes and sessions."""

from __future__ import annotations

from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.passkeys import MAX_PASSKEY_NAME_LENGTH, MAX_PASSKEYS_PER_USER, PasskeyProblem
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.state.words.catalogue import Plural, Text
from sms2fa_app.state.words.challenge import PASSKEY_EXPIRED
from sms2fa_app.state.words.common import day_in_sentence, masked, moment_in_sentence

# ---- what a change said -----------------------------------------------------------------------------------

PHONE_TAKEN = Text("settings.phone_taken", "This number can't be used. Try another one.")
NO_PROOF = Text("settings.no_proof", "Verify a code sent to this number first.")
REAUTH_REQUIRED = Text("settings.reauth_required", "Confirm your password and a code first.")
NOT_ALLOWED = Text("settings.not_allowed", "That change doesn't apply to your account as it is now.")
SAME_NUMBER = Text("settings.same_number", "Codes already go to this number. Enter a different one.")
PASSWORD_WRONG = Text("settings.password_wrong", "That password isn't right.")
PASSWORD_MISSING = Text("settings.password_missing", "Enter your password.")
CONFIRM_DELETE_MISSING = Text(
    "settings.confirm_delete_missing", "Tick the box to confirm that you want to delete your account."
)
TWO_FACTOR_ON = Text("settings.two_factor_on", "Two-factor authentication is on.")
TWO_FACTOR_OFF = Text("settings.two_factor_off", "Two-factor authentication is off.")
RECOVERY_CODES_NEW = Text("settings.recovery_codes_new", "New recovery codes made. The old ones no longer work.")
TOTP_ADDED = Text("settings.totp_added", "Authenticator app added.")
TOTP_REMOVED = Text("settings.totp_removed", "Authenticator app removed.")
PASSWORD_CHANGED = Text("settings.password_changed", "Password changed. Your other sessions were signed out.")
SESSION_ENDED = Text("settings.session_ended", "That session was signed out.")
OTHER_SESSIONS_ENDED = Text("settings.other_sessions_ended", "Every other session was signed out.")
APP_DISCONNECTED = Text("settings.app_disconnected", "That app was disconnected: it must ask you again.")

FACTOR_CHANGE_ERRORS: dict[FactorChange, str] = {
    FactorChange.PHONE_TAKEN: PHONE_TAKEN,
    FactorChange.NO_PROOF: NO_PROOF,
    FactorChange.REAUTH_REQUIRED: REAUTH_REQUIRED,
    FactorChange.NOT_ALLOWED: NOT_ALLOWED,
}

# ---- each operation's step (re-authentication, then the change) ---------------------------------------------

OPERATION_TITLES: dict[Operation, str] = {
    Operation.ENABLE_SMS: Text("operation.enable_sms.title", "Turn on two-factor authentication"),
    Operation.CHANGE_NUMBER: Text("operation.change_number.title", "Change your phone number"),
    Operation.CHOOSE_WHATSAPP: Text("operation.choose_whatsapp.title", "Get your codes by WhatsApp"),
    Operation.DISABLE: Text("operation.disable.title", "Turn off two-factor authentication"),
    Operation.REGENERATE_CODES: Text("operation.regenerate_codes.title", "Make new recovery codes"),
    Operation.ADD_TOTP: Text("operation.add_totp.title", "Set up an authenticator app"),
    Operation.REMOVE_TOTP: Text("operation.remove_totp.title", "Remove your authenticator app"),
    Operation.ADD_PASSKEY: Text("operation.add_passkey.title", "Add a passkey"),
    Operation.REMOVE_PASSKEY: Text("operation.remove_passkey.title", "Remove a passkey"),
    Operation.CHANGE_PASSWORD: Text("operation.change_password.title", "Change your password"),
    Operation.DELETE_ACCOUNT: Text("operation.delete_account.title", "Delete your account"),
}
# What the re-authentication step's button says, and what the operation will do (shown under the heading).
OPERATION_CONFIRMS: dict[Operation, tuple[str, str]] = {
    Operation.ENABLE_SMS: (
        Text("operation.enable_sms.button", "Continue to your phone number"),
        Text("operation.enable_sms.consequence", "Sign-ins will also need a code texted to you."),
    ),
    Operation.CHANGE_NUMBER: (
        Text("operation.change_number.button", "Continue to the new number"),
        Text("operation.change_number.consequence", "Codes will go to the new number, not this one."),
    ),
    Operation.CHOOSE_WHATSAPP: (
        Text("operation.choose_whatsapp.button", "Send my codes by WhatsApp"),
        Text(
            "operation.choose_whatsapp.consequence",
            "Codes will go to this number's WhatsApp account; remembered devices and your other sessions are signed "
            "out.",
        ),
    ),
    Operation.DISABLE: (
        OPERATION_TITLES[Operation.DISABLE],
        Text(
            "operation.disable.consequence",
            "Your password alone will protect your account; recovery codes and remembered devices stop working.",
        ),
    ),
    Operation.REGENERATE_CODES: (
        OPERATION_TITLES[Operation.REGENERATE_CODES],
        Text("operation.regenerate_codes.consequence", "Your current recovery codes will stop working."),
    ),
    Operation.ADD_TOTP: (
        Text("operation.add_totp.button", "Continue to the QR code"),
        Text("operation.add_totp.consequence", "Sign-ins can then use a code from the app."),
    ),
    Operation.REMOVE_TOTP: (
        Text("operation.remove_totp.button", "Remove the authenticator app"),
        Text("operation.remove_totp.consequence", "Its codes will stop working for sign-in."),
    ),
    Operation.ADD_PASSKEY: (
        Text("operation.add_passkey.button", "Continue to the passkey"),
        Text("operation.add_passkey.consequence", "Sign-ins can then use this device's screen lock."),
    ),
    Operation.REMOVE_PASSKEY: (
        Text("operation.remove_passkey.button", "Remove the passkey"),
        Text("operation.remove_passkey.consequence", "It will no longer sign you in."),
    ),
    Operation.CHANGE_PASSWORD: (
        Text("operation.change_password.button", "Continue to the new password"),
        Text("operation.change_password.consequence", "Your other sessions will be signed out."),
    ),
    Operation.DELETE_ACCOUNT: (
        Text("operation.delete_account.button", "Continue to deletion"),
        Text("operation.delete_account.consequence", "You confirm once more on the next screen."),
    ),
}
STEP_OF = Text("settings.step_of", "Step {number} of {total}")

DISABLE_WARNING = Text(
    "settings.disable_warning",
    "Turning off two-factor authentication removes your phone number, your authenticator app, your recovery codes "
    "and your passkeys. Only your password will protect this account.",
)
# What an operation changed and what it signed out: (nothing, remembered devices, other sessions, both), each a
# whole sentence.
_DONE: dict[Operation, tuple[Text, Text, Text, Text]] = {
    Operation.ENABLE_SMS: (
        Text("done.enable_sms", "Two-factor authentication is on. Codes go to {masked}."),
        Text(
            "done.enable_sms.devices",
            "Two-factor authentication is on. Codes go to {masked}; remembered devices were signed out.",
        ),
        Text(
            "done.enable_sms.sessions",
            "Two-factor authentication is on. Codes go to {masked}; your other sessions were signed out.",
        ),
        Text(
            "done.enable_sms.both",
            "Two-factor authentication is on. Codes go to {masked}; remembered devices and your other sessions were "
            "signed out.",
        ),
    ),
    Operation.CHANGE_NUMBER: (
        Text("done.change_number", "Codes now go to {masked}."),
        Text("done.change_number.devices", "Codes now go to {masked}; remembered devices were signed out."),
        Text("done.change_number.sessions", "Codes now go to {masked}; your other sessions were signed out."),
        Text(
            "done.change_number.both",
            "Codes now go to {masked}; remembered devices and your other sessions were signed out.",
        ),
    ),
    Operation.DISABLE: (
        Text(
            "done.disable",
            "Two-factor authentication is off. Your number, authenticator app, recovery codes and passkeys were "
            "removed.",
        ),
        Text(
            "done.disable.devices",
            "Two-factor authentication is off. Your number, authenticator app, recovery codes and passkeys were "
            "removed; remembered devices were signed out.",
        ),
        Text(
            "done.disable.sessions",
            "Two-factor authentication is off. Your number, authenticator app, recovery codes and passkeys were "
            "removed; your other sessions were signed out.",
        ),
        Text(
            "done.disable.both",
            "Two-factor authentication is off. Your number, authenticator app, recovery codes and passkeys were "
            "removed; remembered devices and your other sessions were signed out.",
        ),
    ),
    Operation.REGENERATE_CODES: (
        RECOVERY_CODES_NEW,
        Text(
            "done.regenerate_codes.devices",
            "New recovery codes made. The old ones no longer work; remembered devices were signed out.",
        ),
        Text(
            "done.regenerate_codes.sessions",
            "New recovery codes made. The old ones no longer work; your other sessions were signed out.",
        ),
        Text(
            "done.regenerate_codes.both",
            "New recovery codes made. The old ones no longer work; remembered devices and your other sessions were "
            "signed out.",
        ),
    ),
    Operation.ADD_TOTP: (
        Text("done.add_totp", "Authenticator app added. You can sign in with its codes instead of a text."),
        Text(
            "done.add_totp.devices",
            "Authenticator app added. You can sign in with its codes instead of a text; remembered devices were "
            "signed out.",
        ),
        Text(
            "done.add_totp.sessions",
            "Authenticator app added. You can sign in with its codes instead of a text; your other sessions were "
            "signed out.",
        ),
        Text(
            "done.add_totp.both",
            "Authenticator app added. You can sign in with its codes instead of a text; remembered devices and your "
            "other sessions were signed out.",
        ),
    ),
    Operation.REMOVE_TOTP: (
        Text("done.remove_totp", "Authenticator app removed. Codes go to {masked}."),
        Text(
            "done.remove_totp.devices",
            "Authenticator app removed. Codes go to {masked}; remembered devices were signed out.",
        ),
        Text(
            "done.remove_totp.sessions",
            "Authenticator app removed. Codes go to {masked}; your other sessions were signed out.",
        ),
        Text(
            "done.remove_totp.both",
            "Authenticator app removed. Codes go to {masked}; remembered devices and your other sessions were signed "
            "out.",
        ),
    ),
}


def change_done(operation: Operation, ending: str, devices: int = 0, sessions: int = 0) -> str:
    """What an operation changed, e.g. "Codes now go to •••• 3100; remembered devices were signed out." ("" for
    an operation with a notice of its own)."""
    forms = _DONE.get(operation)
    if forms is None:
        return ""
    return forms[(1 if devices else 0) + (2 if sessions else 0)].format(masked=masked(ending))


# ---- passkeys -------------------------------------------------------------------------------------------

PASSKEY_ADDED = Text("passkey.added", "Passkey added.")
PASSKEY_REMOVED = Text("passkey.removed", "Passkey removed. Texted codes still protect your account.")
PASSKEY_RENAMED = Text("passkey.renamed", "Passkey renamed.")
PASSKEY_NAME_INVALID = Text("passkey.name_invalid", "Use a name of 1 to {max} characters.").format(
    max=MAX_PASSKEY_NAME_LENGTH
)
PASSKEY_PROBLEMS: dict[PasskeyProblem, str] = {
    PasskeyProblem.MALFORMED: Text("passkey.malformed", "Your browser's answer wasn't valid. Try again."),
    PasskeyProblem.EXPIRED: PASSKEY_EXPIRED,
    PasskeyProblem.REFUSED: Text("passkey.refused", "That passkey couldn't be checked, so it wasn't added. Try again."),
    PasskeyProblem.DUPLICATE: Text("passkey.duplicate", "That passkey is already added."),
    PasskeyProblem.TOO_MANY: Text("passkey.too_many", "You can have at most {max} passkeys. Remove one first.").format(
        max=MAX_PASSKEYS_PER_USER
    ),
    PasskeyProblem.NAME_INVALID: PASSKEY_NAME_INVALID,
}
PASSKEYS_NONE = Text("passkey.none_yet", "Sign in with your fingerprint, face or screen lock instead of a code.")
LANDLINE_CALL = Text("settings.landline_call", "This is a landline: we'll call you with the code.")
PASSKEYS_FIRST = Text("passkey.asked_first", "Sign-in asks for a passkey first; texted codes stay as a backup.")

# ---- recovery codes ---------------------------------------------------------------------------------------

RECOVERY_HEADING = Text("recovery.heading", "Your recovery codes")
RECOVERY_SAVE = Text(
    "recovery.save", "Save these recovery codes somewhere safe. Each works once; we won't show them again."
)
RECOVERY_OLD_VOID = Text("recovery.old_void", "Your old recovery codes no longer work. Only the codes below do.")
RECOVERY_SAVED_LABEL = Text("recovery.saved_label", "I saved these codes")
RECOVERY_FILE_NAME = "sms2fa-recovery-codes.txt"
_FILE_TITLE = Text("recovery.file.title", "{app} recovery codes")
_FILE_ACCOUNT = Text("recovery.file.account", "Account: {email}")
_FILE_CREATED = Text("recovery.file.created", "Created: {day}")
_FILE_KEEP = Text("recovery.file.keep", "Each code works once. Keep this file somewhere safe.")


def recovery_file(app_name: str, email: str, day: str, codes: list[str]) -> str:
    """The downloaded file: a header naming the app, the account and the date, then one code per line."""
    header = [
        _FILE_TITLE.format(app=app_name),
        _FILE_ACCOUNT.format(email=email),
        _FILE_CREATED.format(day=day),
        _FILE_KEEP,
        "",
    ]
    return "\n".join(header + list(codes)) + "\n"


_LAST_CODE_USED = Text("recovery.last_used", "You used your last recovery code. Make new ones now.")
_CODE_USED = Text("recovery.used", "You used a recovery code. {left} left.")


def recovery_used(left: int) -> str:
    """The dashboard's banner after a sign-in with a recovery code."""
    return _LAST_CODE_USED if left == 0 else _CODE_USED.format(left=left)


RECOVERY_LEFT = _RECOVERY_LEFT = Plural("recovery.left", "1 recovery code left", "{count} recovery codes left")


def recovery_count(left: int) -> str:
    """'1 recovery code left' or 'N recovery codes left'."""
    return _RECOVERY_LEFT(left)


# ---- the settings rows and the dashboard card ---------------------------------------------------------------

METHOD_SMS = Text("method.sms", "Text message")
METHOD_TOTP = Text("method.totp", "Authenticator app")
METHOD_PASSKEYS = Text("method.passkeys", "Passkeys")
METHOD_RECOVERY = Text("method.recovery", "Recovery codes")
_SMS_TO = Text("method.sms_to", "Text message to {masked}")
PASSKEY_COUNT = _PASSKEY_COUNT = Plural("method.passkey_count", "1 passkey", "{count} passkeys")
NEVER_USED = Text("method.never_used", "Never used")
_NEVER_USED_IN_LINE = Text("method.never_used_in_line", "never used")
_LAST_USED = Text("method.last_used", "Last used {day}")
TWO_FACTOR_OFF_CARD = Text("dashboard.two_factor_off", "Two-factor authentication is off")
TWO_FACTOR_OFF_PROMPT = Text(
    "dashboard.two_factor_off_prompt", "Turn it on so a stolen password isn't enough to get into your account."
)
TWO_FACTOR_ON_CARD = Text("dashboard.two_factor_on", "Two-factor authentication is on")


def last_used(timestamp: float | None, now: float) -> str:
    """'Last used today' ... or 'Never used'."""
    return _LAST_USED.format(day=day_in_sentence(timestamp, now)) if timestamp else NEVER_USED


def methods_on(sms_ending: str, totp: bool, passkeys: int, recovery_left: int) -> str:
    """The dashboard's list of methods that are on, e.g. "Text message to •••• 3100 · Authenticator app"."""
    parts = [_SMS_TO.format(masked=masked(sms_ending))] if sms_ending else []
    if totp:
        parts.append(METHOD_TOTP)
    if passkeys:
        parts.append(_PASSKEY_COUNT(passkeys))
    parts.append(recovery_count(recovery_left))
    return " · ".join(parts)


_SIGN_OUT = Text("settings.sign_out_session", "Sign out session {number}: {browser}, {network}")
_FORGET = Text("devices.forget", "Forget {device}")
_SESSION_TIMES = Text("sessions.times", "Started {started} · last seen {seen}")
_DEVICE_TIMES = Text("devices.times", "Remembered {remembered} · last used {used}")
_PASSKEY_TIMES = Text("passkey.times", "added {added} · {used}")
_PASSKEY_TIMES_ONE_STEP = Text("passkey.times_one_step", "added {added} · {used} · signs in without a password")
_PASSKEY_LAST_USED = Text("passkey.last_used", "last used {day}")
MAIL_DELAYED = Text(
    "settings.mail_delayed",
    "Our mail is running late: the emails about changes to your account will arrive once our mail server answers "
    "again.",
)
NO_REMEMBERED_DEVICES = Text("devices.none", "No remembered devices. Tick “Remember this device” when you sign in.")
FORGET_ALL_CONFIRM = Text(
    "devices.forget_all_confirm", "Forget every remembered browser? Each will ask for a code at its next sign-in."
)


def forget_label(device: str) -> str:
    """The accessible name of a device's Forget button, e.g. "Forget Chrome on Linux"."""
    return _FORGET.format(device=device)


def sign_out_label(number: int, browser: str, network: str) -> str:
    """The accessible name of a session's Sign out button: which session (its place in the list, the browser and
    network), e.g. "Sign out session 2: Chrome on Linux, 203.0.113.x"; every button's name differs."""
    return _SIGN_OUT.format(number=number, browser=browser, network=network)


def session_times(started: float, last_seen: float, now: float) -> str:
    """An active session's line, e.g. "Started today at 21:30 UTC · last seen today at 21:45 UTC"."""
    return _SESSION_TIMES.format(started=moment_in_sentence(started, now), seen=moment_in_sentence(last_seen, now))


def device_times(first_seen: float, last_used: float, now: float) -> str:
    """A remembered device's line, e.g. "Remembered yesterday · last used today"."""
    return _DEVICE_TIMES.format(remembered=day_in_sentence(first_seen, now), used=day_in_sentence(last_used, now))


def passkey_times(added: float, last_used: float | None, now: float, one_step: bool) -> str:
    """A passkey's line after its name, e.g. "added yesterday · last used today · signs in without a password"."""
    used = _PASSKEY_LAST_USED.format(day=day_in_sentence(last_used, now)) if last_used else _NEVER_USED_IN_LINE
    return (_PASSKEY_TIMES_ONE_STEP if one_step else _PASSKEY_TIMES).format(
        added=day_in_sentence(added, now), used=used
    )


# ---- how codes reach the number (a text or WhatsApp, docs/whatsapp.md) ------------------------------------------
CODES_BY = Text("settings.codes_by", "Send my codes by")
CHANNEL_SMS = METHOD_SMS  # "Text message": the method's own name
CHANNEL_WHATSAPP = Text("settings.channel.whatsapp", "WhatsApp")
CHANNEL_SAVED = {
    "sms": Text("settings.channel_saved.sms", "Your codes now come by text message."),
    "whatsapp": Text(
        "settings.channel_saved.whatsapp", "Your codes now come by WhatsApp. If one doesn't arrive, we can text it."
    ),
}
CHANNEL_NOT_SAVED = Text("settings.channel_not_saved", "That choice isn't available for your number.")
