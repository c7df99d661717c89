"""A user's enrolled second factors as one: check a code (or a passkey's answer) of whichever factor the user chose.

The challenge at login, re-authentication before a change, and a password reset all accept any enrolled
factor; they differ only in what a texted code is bound to (the login session, the re-authenticating
session, the reset link). A passkey answers a challenge issued to a login session, so it is taken at the
challenge and at re-authentication, not for a reset link. Every check goes through the factor's service,
and so through the one lockout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from sms2fa_app.backend.factors.passkeys import Passkeys, passkey_count
from sms2fa_app.backend.factors.recovery import RecoveryCodes, unused_codes
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose
from sms2fa_app.backend.factors.totp import AuthenticatorApps, confirmed_app
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import LoginSession, User, utcnow

# Where `binding` is a login session, whose passkey challenge an answer can be checked against.
_SESSION_PURPOSES = frozenset({Purpose.LOGIN, Purpose.REAUTH, Purpose.STEP_UP})


@dataclass(frozen=True)
class FactorSummary:
    """What a user has enrolled besides the number, read in one statement (`summary_facts`)."""

    totp: bool = False
    passkeys: int = 0
    recovery_left: int = 0

    @classmethod
    def read(cls, facts: Mapping[str, Any]) -> FactorSummary:
        """The summary from the facts `summary_facts` named (read with a session, or by `available`)."""
        return cls(bool(facts["totp"]), int(facts["passkeys"] or 0), int(facts["recovery_left"] or 0))


def summary_facts(user_id: ColumnElement[int] | None = None) -> dict[str, ColumnElement[Any]]:
    """The summary's scalar subqueries on `user_id`: by default the user of the session they are read with
    (`SessionStore.resolve_with_facts`), so a page learns its caller and their factors in one statement."""
    of = col(LoginSession.user_id) if user_id is None else user_id
    return {"totp": confirmed_app(of), "passkeys": passkey_count(of), "recovery_left": unused_codes(of)}


def offered(user: User | None, summary: FactorSummary, purpose: Purpose) -> frozenset[Factor]:
    """The factors the user can present for `purpose` (none with 2FA off): a texted code and a recovery code
    go with 2FA on, the authenticator app once confirmed, a passkey where a login session can be challenged
    (the login and re-authentication, not a reset link)."""
    if user is None or not user.is_two_factor_enabled:
        return frozenset()
    factors = {Factor.SMS, Factor.RECOVERY}
    if summary.totp:
        factors.add(Factor.TOTP)
    if purpose in _SESSION_PURPOSES and summary.passkeys > 0:
        factors.add(Factor.PASSKEY)
    return frozenset(factors)


class SecondFactors:
    """Texted codes, the authenticator app, recovery codes and passkeys behind one `verify`."""

    def __init__(
        self, database: Database, otp: OtpService, totp: AuthenticatorApps, recovery: RecoveryCodes, passkeys: Passkeys
    ):
        self._db = database
        self.otp = otp
        self.totp = totp
        self.recovery = recovery
        self.passkeys = passkeys

    def available(self, user_id: int, purpose: Purpose) -> frozenset[Factor]:
        """The factors the user can present for `purpose` (`offered`), the user and their factors read in one
        statement."""
        facts = summary_facts(col(User.id))
        query = select(User, *(fact.label(name) for name, fact in facts.items())).where(col(User.id) == int(user_id))
        with self._db.session() as db:
            row = db.exec(query).first()
            if row is None:
                return frozenset()
            return offered(row[0], FactorSummary.read(dict(zip(facts, row[1:], strict=True))), purpose)

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


def chosen(method: object, available: frozenset[Factor]) -> Factor:
    """The factor `method` names when the user has it for this purpose; else a texted code (the default)."""
    factor = Factor.named(method)
    return factor if factor is not None and factor in available else Factor.SMS


# The factors a step offers first, strongest first: phishing-resistant, then a code no network carries, then a text.
_STRONGEST_FIRST = (Factor.PASSKEY, Factor.TOTP, Factor.SMS)


def strongest(available: frozenset[Factor]) -> Factor:
    """The factor a step opens with: the strongest the user has (a passkey, then the authenticator app, then a
    texted code), so that a lost phone's number is never where re-authentication or a reset starts."""
    return next((factor for factor in _STRONGEST_FIRST if factor in available), Factor.SMS)
