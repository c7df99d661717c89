"""What can happen to an account, named once: the activity log stores an `EventKind`, a notice letter is keyed by
it (delivery/letters.py holds each one's words), and every change needing re-authentication (`Operation`, in
factors/grants.py) names the event it records. Values are stored (SQL rows, queued jobs): never rename one."""

from __future__ import annotations

import enum


class EventKind(enum.StrEnum):
    """What happened (values are stored)."""

    SIGNED_IN = "signed_in"  # detail: how (password, sms, totp, recovery, passkey, device)
    SECOND_FACTOR_FAILED = "second_factor_failed"  # detail: the factor
    LOCKOUT_STARTED = "lockout_started"  # detail: seconds
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    PHONE_CHANGED = "phone_changed"  # detail: the new number's last 4 digits
    CODES_BY_WHATSAPP = "codes_by_whatsapp"  # the number's codes now go by WhatsApp (re-authenticated)
    CODES_BY_TEXT = "codes_by_text"  # the number's codes go by text again
    TOTP_ADDED = "totp_added"
    TOTP_REMOVED = "totp_removed"
    PASSKEY_ADDED = "passkey_added"  # detail: the passkey's name (its first 32 characters)
    PASSKEY_REMOVED = "passkey_removed"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    RECOVERY_CODE_USED = "recovery_code_used"  # detail: how many are left
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    DEVICE_REMEMBERED = "device_remembered"  # detail: for how many days
    EMAIL_VERIFIED = "email_verified"
    ACCOUNT_DELETED = "account_deleted"
    SIGNED_IN_TO_APP = "signed_in_to_app"  # detail: the OpenID client's name (backend/oidc/)
    APP_DISCONNECTED = "app_disconnected"  # detail: the OpenID client's name
    # An admin's actions (admin/): the user is told of each
    ADMIN_SESSIONS_ENDED = "admin_sessions_ended"  # detail: how many
    ADMIN_LOCKOUT_CLEARED = "admin_lockout_cleared"
    TWO_FACTOR_RESET_SCHEDULED = "two_factor_reset_scheduled"  # detail: when it takes effect (epoch seconds)
    TWO_FACTOR_RESET_CANCELLED = "two_factor_reset_cancelled"  # detail: by_user | by_admin
    TWO_FACTOR_RESET = "two_factor_reset"  # the waiting period ended: every factor removed
