"""The settings wizard's steps."""

from __future__ import annotations

import enum


class Step(enum.StrEnum):
    """Where the settings page is."""

    STATUS = "status"  # the factors as they are, no wizard open
    REAUTH_PASSWORD = "reauth_password"
    REAUTH_CODE = "reauth_code"
    PHONE = "phone"  # the new number
    CODE = "code"  # the code texted to the new number
    DONE = "done"  # 2FA just turned on (first recovery codes below)
    RECOVERY_CODES = "recovery_codes"  # a new set, shown once
    TOTP_SETUP = "totp_setup"  # scan, then a current code
    PASSKEY_SETUP = "passkey_setup"  # name it, then the browser creates it
    NEW_PASSWORD = "new_password"  # the new password, twice
    CONFIRM_DELETE = "confirm_delete"  # the last word before the account goes
