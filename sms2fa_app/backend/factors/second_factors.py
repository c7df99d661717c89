"""A user's enrolled second factors as one: check a code of whichever factor the user chose.

The challenge at login, re-authentication before a change, and a password reset all accept any enrolled
factor; they differ only in what a texted code is bound to (the login session, the re-authenticating session,
the reset link). Every check goes through the factor's service, and so through the one lockout.
"""

from __future__ import annotations

from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose
from sms2fa_app.backend.factors.totp import AuthenticatorApps


class SecondFactors:
    """Texted codes, the authenticator app and recovery codes behind one `verify`."""

    def __init__(self, otp: OtpService, totp: AuthenticatorApps, recovery: RecoveryCodes):
        self.otp = otp
        self.totp = totp
        self.recovery = recovery

    def verify(self, user_id: int, factor: Factor, code: str, *, purpose: Purpose, binding: int) -> VerifyResult:
        """Check `code` as the user's `factor`; a texted code must have been sent for `purpose` and `binding`
        (a login session, or a reset link). A recovery code that matches is spent."""
        if factor is Factor.TOTP:
            return self.totp.verify(user_id, code)
        if factor is Factor.RECOVERY:
            return self.recovery.redeem(user_id, code)
        return self.otp.verify_code(purpose=purpose, user_id=user_id, session_id=binding, code=code)
