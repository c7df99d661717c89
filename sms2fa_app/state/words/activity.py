"""The words of the activity log (the user's page and the admin console's account view): one line per event."""

from __future__ import annotations

from sms2fa_app.backend.audit.activity import ActivityEntry
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.vocabulary import EventKind
from sms2fa_app.state.words.catalogue import Plural, Text
from sms2fa_app.state.words.common import wait_phrase

_SIGNED_IN = Text("activity.signed_in", "Signed in")
_SIGNED_IN_HOW: dict[str, Text] = {
    "password": Text("activity.signed_in.password", "Signed in with your password"),
    Factor.SMS.value: Text("activity.signed_in.sms", "Signed in with a texted code"),
    Factor.TOTP.value: Text("activity.signed_in.totp", "Signed in with your authenticator app"),
    Factor.RECOVERY.value: Text("activity.signed_in.recovery", "Signed in with a recovery code"),
    Factor.PASSKEY.value: Text("activity.signed_in.passkey", "Signed in with a passkey"),
    "device": Text("activity.signed_in.device", "Signed in on a remembered browser"),
}
_WRONG_CODE = Text("activity.failed.code", "Wrong code entered")
_FAILED: dict[str, Text] = {
    Factor.SMS.value: Text("activity.failed.sms", "Wrong texted code entered"),
    Factor.TOTP.value: Text("activity.failed.totp", "Wrong authenticator app code entered"),
    Factor.RECOVERY.value: Text("activity.failed.recovery", "Wrong recovery code entered"),
    Factor.PASSKEY.value: Text("activity.failed.passkey", "A passkey wasn't accepted"),
}
# The events whose line names their detail: {detail} is what EventKind's comment says the detail is.
_WITH_DETAIL: dict[EventKind, Text] = {
    EventKind.PHONE_CHANGED: Text("activity.phone_changed", "Phone number changed (now ending in {detail})"),
    EventKind.RECOVERY_CODE_USED: Text("activity.recovery_code_used", "Recovery code used ({detail} left)"),
    EventKind.DEVICE_REMEMBERED: Text("activity.device_remembered", "Browser remembered for {detail} days"),
    EventKind.SIGNED_IN_TO_APP: Text("activity.signed_in_to_app", "Signed in to {detail}"),
    EventKind.APP_DISCONNECTED: Text("activity.app_disconnected", "Disconnected {detail}"),
}
_PASSKEY_ADDED_NAMED = Text("activity.passkey_added.named", "Passkey added: {detail}")
_LOCKOUT = Text("activity.lockout_started", "Codes locked for {wait} after too many wrong tries")
_ACTIVITY: dict[EventKind, Text] = {
    EventKind.TWO_FACTOR_ON: Text("activity.two_factor_on", "Two-factor authentication turned on"),
    EventKind.TWO_FACTOR_OFF: Text("activity.two_factor_off", "Two-factor authentication turned off"),
    EventKind.CODES_BY_WHATSAPP: Text("activity.codes_by_whatsapp", "Sign-in codes now come by WhatsApp"),
    EventKind.CODES_BY_TEXT: Text("activity.codes_by_text", "Sign-in codes now come by text message"),
    EventKind.TOTP_ADDED: Text("activity.totp_added", "Authenticator app added"),
    EventKind.TOTP_REMOVED: Text("activity.totp_removed", "Authenticator app removed"),
    EventKind.PASSKEY_ADDED: Text("activity.passkey_added", "Passkey added"),
    EventKind.PASSKEY_REMOVED: Text("activity.passkey_removed", "Passkey removed"),
    EventKind.RECOVERY_CODES_REGENERATED: Text("activity.recovery_codes_regenerated", "New recovery codes made"),
    EventKind.PASSWORD_CHANGED: Text("activity.password_changed", "Password changed"),
    EventKind.PASSWORD_RESET: Text("activity.password_reset", "Password reset by email link"),
    EventKind.EMAIL_VERIFIED: Text("activity.email_verified", "Email address confirmed"),
    EventKind.ACCOUNT_DELETED: Text("activity.account_deleted", "Account deleted"),
    EventKind.ADMIN_SESSIONS_ENDED: Text("activity.admin_sessions_ended", "An administrator signed you out everywhere"),
    EventKind.ADMIN_LOCKOUT_CLEARED: Text(
        "activity.admin_lockout_cleared", "An administrator cleared the lock on your codes"
    ),
    EventKind.TWO_FACTOR_RESET_SCHEDULED: Text(
        "activity.two_factor_reset_scheduled", "An administrator scheduled a reset of two-factor authentication"
    ),
    EventKind.TWO_FACTOR_RESET_CANCELLED: Text(
        "activity.two_factor_reset_cancelled", "The reset of two-factor authentication was cancelled"
    ),
    EventKind.TWO_FACTOR_RESET: Text(
        "activity.two_factor_reset", "Two-factor authentication was reset by an administrator"
    ),
}
EMAIL_VERIFIED = _ACTIVITY[EventKind.EMAIL_VERIFIED]  # also the confirmed-address page's heading
PASSWORD_CHANGED = _ACTIVITY[EventKind.PASSWORD_CHANGED]  # also the reset page's last heading


def activity_line(entry: ActivityEntry) -> str:
    """What happened, in words (the time, browser and network are shown beside it)."""
    entry_kind, detail = entry.kind, entry.detail
    if entry_kind is EventKind.SIGNED_IN:
        return _SIGNED_IN_HOW.get(detail, _SIGNED_IN)
    if entry_kind is EventKind.SECOND_FACTOR_FAILED:
        return _FAILED.get(detail, _WRONG_CODE)
    if entry_kind is EventKind.LOCKOUT_STARTED:
        return _LOCKOUT.format(wait=wait_phrase(int(detail or 0)))
    if entry_kind is EventKind.PASSKEY_ADDED and detail:  # older rows have no name
        return _PASSKEY_ADDED_NAMED.format(detail=detail)
    if entry_kind in _WITH_DETAIL:
        return _WITH_DETAIL[entry_kind].format(detail=detail)
    return _ACTIVITY[entry_kind]


_REPEATED = Plural("activity.repeated", "{count} time", "{count} times")
# The page's filter: a kind of event and its label ("all" shows every kind).
SIGN_INS, FAILURES, CHANGES = "sign_ins", "failures", "changes"
CATEGORIES: dict[str, Text] = {
    SIGN_INS: Text("activity.filter.sign_ins", "Sign-ins"),
    FAILURES: Text("activity.filter.failures", "Wrong codes and lockouts"),
    CHANGES: Text("activity.filter.changes", "Changes to your account"),
}
ALL_KINDS = Text("activity.filter.all", "Everything")


def repeated(count: int) -> str:
    """How many identical events in a row one line stands for, e.g. "5 times"."""
    return _REPEATED(count)


def category(kind: EventKind) -> str:
    """Which of the filter's kinds an event is."""
    if kind is EventKind.SIGNED_IN:
        return SIGN_INS
    if kind in (EventKind.SECOND_FACTOR_FAILED, EventKind.LOCKOUT_STARTED):
        return FAILURES
    return CHANGES
