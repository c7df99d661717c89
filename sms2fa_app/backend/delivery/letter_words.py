"""The words of every mail and of the texts that carry no code, each a `Phrase` (an id and its English source) that
the catalogs translate (sms2fa_app/locales). Parameters are named; a sentence is never glued from pieces."""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.i18n.phrases import Phrase
from sms2fa_app.backend.vocabulary import EventKind


@dataclass(frozen=True)
class Notice:
    """A notice's words: {app}, {detail} (the event's detail) and {wait} (a lock's duration) are filled in."""

    subject: Phrase
    sentence: Phrase
    none_left: Phrase | None = None  # said instead when the detail is "0" (no recovery code left)
    offers_reset: bool = True  # "Wasn't you? Reset your password" (not once the account is gone)


# Each id written out, so that `pybabel extract` finds it with its English.
NOTICES: dict[EventKind, Notice] = {
    EventKind.TWO_FACTOR_ON: Notice(
        Phrase("mail.two_factor_on.subject", "Two-factor authentication was turned on"),
        Phrase("mail.two_factor_on.body", "Two-factor authentication was turned on for your {app} account."),
    ),
    EventKind.TWO_FACTOR_OFF: Notice(
        Phrase("mail.two_factor_off.subject", "Two-factor authentication was turned off"),
        Phrase(
            "mail.two_factor_off.body",
            "Two-factor authentication was turned off for your {app} account. Only your password protects it now.",
        ),
    ),
    EventKind.PHONE_CHANGED: Notice(
        Phrase("mail.phone_changed.subject", "Your phone number for sign-in codes was changed"),
        Phrase(
            "mail.phone_changed.body",
            "The phone number for your {app} sign-in codes was changed. Codes now go to the number ending in {detail}.",
        ),
    ),
    EventKind.CODES_BY_WHATSAPP: Notice(
        Phrase("mail.codes_by_whatsapp.subject", "Your sign-in codes now come by WhatsApp"),
        Phrase(
            "mail.codes_by_whatsapp.body",
            "Your {app} sign-in codes now go to the WhatsApp account of your phone number instead of a text message.",
        ),
    ),
    EventKind.CODES_BY_TEXT: Notice(
        Phrase("mail.codes_by_text.subject", "Your sign-in codes now come by text message"),
        Phrase("mail.codes_by_text.body", "Your {app} sign-in codes now come by text message instead of WhatsApp."),
    ),
    EventKind.TOTP_ADDED: Notice(
        Phrase("mail.totp_added.subject", "An authenticator app was added"),
        Phrase("mail.totp_added.body", "An authenticator app was added to your {app} account."),
    ),
    EventKind.TOTP_REMOVED: Notice(
        Phrase("mail.totp_removed.subject", "Your authenticator app was removed"),
        Phrase("mail.totp_removed.body", "The authenticator app was removed from your {app} account."),
    ),
    EventKind.PASSKEY_ADDED: Notice(
        Phrase("mail.passkey_added.subject", "A passkey was added"),
        Phrase("mail.passkey_added.body", "A passkey was added to your {app} account. It can be used to sign in."),
    ),
    EventKind.PASSKEY_REMOVED: Notice(
        Phrase("mail.passkey_removed.subject", "A passkey was removed"),
        Phrase("mail.passkey_removed.body", "A passkey was removed from your {app} account. It no longer signs in."),
    ),
    EventKind.RECOVERY_CODES_REGENERATED: Notice(
        Phrase("mail.recovery_codes_regenerated.subject", "New recovery codes were made"),
        Phrase(
            "mail.recovery_codes_regenerated.body",
            "New recovery codes were made for your {app} account. The old ones no longer work.",
        ),
    ),
    EventKind.RECOVERY_CODE_USED: Notice(
        Phrase("mail.recovery_code_used.subject", "A recovery code was used"),
        Phrase("mail.recovery_code_used.body", "A recovery code of your {app} account was used. {detail} left."),
        none_left=Phrase(
            "mail.recovery_code_used.none_left",
            "A recovery code of your {app} account was used. You have no recovery codes left: make new ones in "
            "settings.",
        ),
    ),
    EventKind.PASSWORD_CHANGED: Notice(
        Phrase("mail.password_changed.subject", "Your password was changed"),
        Phrase(
            "mail.password_changed.body",
            "The password of your {app} account was changed. Your other sessions were signed out.",
        ),
    ),
    EventKind.PASSWORD_RESET: Notice(
        Phrase("mail.password_reset.subject", "Your password was reset"),
        Phrase(
            "mail.password_reset.body",
            "The password of your {app} account was reset. Every session was signed out.",
        ),
    ),
    EventKind.DEVICE_REMEMBERED: Notice(
        Phrase("mail.device_remembered.subject", "A browser was remembered"),
        Phrase(
            "mail.device_remembered.body",
            "A browser was remembered on your {app} account: it can sign in without a second factor for {detail} days.",
        ),
    ),
    EventKind.LOCKOUT_STARTED: Notice(
        Phrase("mail.lockout_started.subject", "Sign-in codes are locked after too many wrong tries"),
        Phrase(
            "mail.lockout_started.body",
            "Too many wrong codes were entered for your {app} account. Sign-in codes are locked for {wait}.",
        ),
    ),
    EventKind.ACCOUNT_DELETED: Notice(
        Phrase("mail.account_deleted.subject", "Your account was deleted"),
        Phrase(
            "mail.account_deleted.body",
            "Your {app} account was deleted, with its phone number, authenticator app, passkeys, recovery codes "
            "and sessions.",
        ),
        offers_reset=False,
    ),
    EventKind.ADMIN_SESSIONS_ENDED: Notice(
        Phrase("mail.admin_sessions_ended.subject", "An administrator signed you out"),
        Phrase("mail.admin_sessions_ended.body", "An administrator signed your {app} account out of every browser."),
    ),
    EventKind.ADMIN_LOCKOUT_CLEARED: Notice(
        Phrase("mail.admin_lockout_cleared.subject", "An administrator unlocked your sign-in codes"),
        Phrase("mail.admin_lockout_cleared.body", "An administrator cleared the lock on your {app} sign-in codes."),
    ),
    EventKind.TWO_FACTOR_RESET_CANCELLED: Notice(
        Phrase("mail.two_factor_reset_cancelled.subject", "The reset of your two-factor authentication was cancelled"),
        Phrase(
            "mail.two_factor_reset_cancelled.body",
            "The reset of two-factor authentication on your {app} account was cancelled: nothing changed.",
        ),
    ),
    EventKind.TWO_FACTOR_RESET: Notice(
        Phrase("mail.two_factor_reset.subject", "Your two-factor authentication was reset"),
        Phrase(
            "mail.two_factor_reset.body",
            "As an administrator arranged, two-factor authentication on your {app} account was reset: every second "
            "factor was removed and every session signed out. Only your password protects it now; set up "
            "two-factor authentication again in settings.",
        ),
    ),
}

SUBJECT = Phrase("mail.subject", "{app}: {subject}")
WASNT_YOU = Phrase("mail.wasnt_you", "Wasn't you? Reset your password now; resetting it signs you out everywhere:")
WHEN = Phrase("mail.context.when", "When: {when}")
BROWSER = Phrase("mail.context.browser", "Browser: {browser}")
# A browser's label, one phrase per shape around the product names (the same entries as the pages' words.common).
BROWSER_ON_SYSTEM = Phrase("device.browser_on_system", "{browser} on {system}")
A_BROWSER_ON_SYSTEM = Phrase("device.a_browser_on_system", "A browser on {system}")
UNKNOWN_BROWSER = Phrase("device.unknown_browser", "Unknown browser")
ADMINISTRATOR = Phrase("device.administrator", "An administrator")
NETWORK = Phrase("mail.context.network", "Network: {network}")
UNKNOWN_NETWORK = Phrase("mail.context.unknown_network", "unknown")

VERIFY_SUBJECT = Phrase("mail.verify_email.subject", "Confirm your email address for {app}")
VERIFY_LINK = Phrase("mail.verify_email.link", "Confirm your email address to finish signing up for {app}:")
VERIFY_ONCE = Phrase(
    "mail.verify_email.once", "The link works once, for {ttl}. If you didn't sign up, ignore this mail."
)

SIGNUP_SUBJECT = Phrase("mail.signup_attempt.subject", "Someone tried to sign up for {app} with your address")
SIGNUP_BODY = Phrase(
    "mail.signup_attempt.body",
    "Someone tried to make a new {app} account with this address. You already have one: nothing changed.",
)
SIGNUP_LOG_IN = Phrase("mail.signup_attempt.log_in", "Was it you? Log in here:")
SIGNUP_FORGOT = Phrase("mail.signup_attempt.forgot", "Forgot your password? Reset it here:")

RESET_SUBJECT = Phrase("mail.reset_link.subject", "Reset your {app} password")
RESET_LINK = Phrase(
    "mail.reset_link.link", "Someone asked to reset the password of your {app} account. Choose a new password here:"
)
RESET_ONCE = Phrase(
    "mail.reset_link.once",
    "The link works once, for {ttl}. If you didn't ask, ignore this mail: your password stays the same.",
)

SCHEDULED_SUBJECT = Phrase("mail.two_factor_reset_scheduled.subject", "Your two-factor authentication will be reset")
SCHEDULED_BODY = Phrase(
    "mail.two_factor_reset_scheduled.body",
    "An administrator will reset two-factor authentication on your {app} account on {when}, after checking your "
    "identity ({check}). The reset removes every second factor and signs you out everywhere.",
)
# How the admin checked the person's identity: the mail gets the check's id (backend/admin/resets.IdentityCheck) and
# says it in the recipient's language.
IDENTITY_CHECKS = {
    "video_call": Phrase("mail.check.video_call", "a video call"),
    "id_document": Phrase("mail.check.id_document", "an identity document"),
    "in_person": Phrase("mail.check.in_person", "in person"),
    "known_contact": Phrase("mail.check.known_contact", "a call back to contact details on file"),
}
SCHEDULED_CANCEL = Phrase(
    "mail.two_factor_reset_scheduled.cancel",
    "Didn't ask for this? Cancel the reset here before then (the link works once):",
)

# Texts without a code
TEXT_RESET_SCHEDULED = Phrase(
    "text.two_factor_reset_scheduled",
    "{app}: an administrator will reset two-factor authentication on your account on {when}. Didn't ask for it? "
    "Cancel it: {link}",
)
TEXT_PHONE_CHANGED = Phrase(
    "text.phone_changed",
    "{app}: the number for your sign-in codes was changed on {when}. Wasn't you? Reset your password: {link}",
)
TEXT_NUMBER_TAKEN = Phrase(
    "text.number_taken",
    "Someone tried to add this number to another {app} account. Nothing changed on your account; you can ignore "
    "this message.",
)
