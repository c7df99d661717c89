"""A user's enrolled second factors as one: check a code (or a passkey's answer) of whichever factor the user chose.

The challenge at login, re-authentication before a change, and a password reset all accept any enrolled
factor; they differ only in what a texted code is bound to (the login session, the re-authenticating
session, the reset link). A passkey answers a challenge issued to a login session, so it is taken at the
challenge and at re-authentication, not for a reset link. Every check goes through the factor's service,
and so through the one lockout.
"""

from __future__ import annotations

from sqlmodel import Session

from sms2fa_app.backend.factors.passkeys import Passkeys
from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose
from sms2fa_app.backend.factors.totp import AuthenticatorApps
from sms2fa_app.backend.models import User, utcnow

# Where `binding` is a login session, whose passkey challenge an answer can be checked against.
_SESSION_PURPOSES = frozenset({Purpose.LOGIN, Purpose.REAUTH})


class SecondFactors:
    """Texted codes, the authenticator app, recovery codes and passkeys behind one `verify`."""

    def __init__(self, otp: OtpService, totp: AuthenticatorApps, recovery: RecoveryCodes, passkeys: Passkeys):
        self.otp = otp
        self.totp = totp
        self.recovery = recovery
        self.passkeys = passkeys

    def verify(self, user_id: int, factor: Factor, code: str, *, purpose: Purpose, binding: int) -> VerifyResult:
        """Check `code` as the user's `factor`; a texted code must have been sent for `purpose` and `binding`
        (a login session, or a reset link); a passkey's answer (`code`: the browser's credential JSON) must
        answer the challenge issued to the session `binding`. A recovery code that matches is spent."""
        if factor is Factor.TOTP:
            return self.totp.verify(user_id, code)
        if factor is Factor.RECOVERY:
            return self.recovery.redeem(user_id, code)
        if factor is Factor.PASSKEY:
            if purpose not in _SESSION_PURPOSES:
                return VerifyResult(VerifyStatus.MALFORMED)  # a reset link has no passkey challenge
            return self.passkeys.verify(user_id, binding, code)
        return self.otp.verify_code(purpose=purpose, user_id=user_id, session_id=binding, code=code)

    def remove_all(self, tx: Session, user: User) -> None:
        """Turn 2FA off in the caller's transaction: every factor goes (number, authenticator app, recovery codes,
        passkeys). Turning 2FA off and an admin's reset both end this way."""
        assert user.id is not None
        user.phone_number = None
        user.is_two_factor_enabled = False
        user.updated_at = utcnow()
        tx.add(user)
        tx.flush()
        self.totp.remove(user.id, db=tx)
        self.recovery.void_all(user.id, db=tx)
        self.passkeys.remove_all(user.id, db=tx)
