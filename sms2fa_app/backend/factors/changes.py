"""Every change of a user's second factors, each behind a single-use re-authentication grant.

One service owns the changes: turning SMS on, changing the number, turning 2FA off, regenerating
recovery codes, adding and removing the authenticator app. Each operation checks its grant, commits
the change, and ends in the same finish, in ONE database transaction: the factor epoch moves on (every
remembered device is void), every other session of the user ends and this session gets a new token.
The grant is consumed atomically inside that transaction, before the commit: a change happens at most
once per re-authentication, and a failure anywhere rolls the whole change back (fail closed).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sms2fa_app.backend.factors.devices import bump_factor_epoch
from sms2fa_app.backend.factors.grants import Operation, Reauth, ReauthGrants
from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose, RequestResult
from sms2fa_app.backend.factors.totp import AuthenticatorApps, TotpSetup
from sms2fa_app.backend.identity.accounts import Accounts, LoginOutcome, LoginResult
from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession, SessionStore
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User, utcnow

log = logging.getLogger("sms2fa.factor_changes")


class FactorChange(enum.Enum):
    """How a factor operation (or one of its steps) ended."""

    DONE = "done"
    REAUTH_REQUIRED = "reauth_required"  # no live grant for this operation in this session
    NOT_ALLOWED = "not_allowed"  # the operation does not fit the account's factors
    NO_PROOF = "no_proof"  # no proof that this session verified a code sent to this number
    PHONE_TAKEN = "phone_taken"
    CODE_REJECTED = "code_rejected"  # see `verify`


@dataclass(frozen=True)
class ChangeResult:
    """The outcome; after DONE, this session's new token and anything to show once."""

    status: FactorChange
    issued: IssuedSession | None = None
    recovery_codes: tuple[str, ...] = ()
    verify: VerifyResult | None = None
    operation: Operation | None = None

    @property
    def done(self) -> bool:
        """True when the step or operation succeeded."""
        return self.status is FactorChange.DONE


class _Abort(Exception):
    """Roll the change's transaction back with this result."""

    def __init__(self, result: ChangeResult):
        super().__init__(result.status.value)
        self.result = result


class FactorChanges:
    """Re-authentication steps and factor operations for one signed-in session."""

    def __init__(
        self,
        database: Database,
        accounts: Accounts,
        sessions: SessionStore,
        grants: ReauthGrants,
        factors: tuple[OtpService, AuthenticatorApps, RecoveryCodes],
    ):
        self._db = database
        self._accounts = accounts
        self._sessions = sessions
        self.grants = grants
        self._otp, self._totp, self._recovery = factors

    # ---- re-authentication ---------------------------------------------------------------------

    def allowed(self, user: User, operation: Operation) -> bool:
        """Whether the operation fits the account's factors as they are."""
        if operation.needs_two_factor_on != user.is_two_factor_enabled:
            return False
        if operation in (Operation.ADD_TOTP, Operation.REMOVE_TOTP):
            return self._totp.is_enabled(user.id or 0) is (operation is Operation.REMOVE_TOTP)
        return True

    def begin(self, session: ActiveSession, user: User, operation: Operation) -> FactorChange:
        """Start an operation: any earlier grant of this session is dropped."""
        self.grants.drop(session.user_id, session.session_id)
        return FactorChange.DONE if self.allowed(user, operation) else FactorChange.NOT_ALLOWED

    def cancel(self, session: ActiveSession) -> None:
        """Leave the operation: its grant is dropped, and any pending setup code with it."""
        self.grants.drop(session.user_id, session.session_id)
        self._otp.discard(purpose=Purpose.ENROLL, user_id=session.user_id, session_id=session.session_id)

    def confirm_password(
        self, session: ActiveSession, user: User, operation: Operation, password: str, client_ip: str
    ) -> LoginResult | FactorChange:
        """The password step: grants this session `operation` at the password level, under the login throttle."""
        if not self.allowed(user, operation):
            return FactorChange.NOT_ALLOWED
        checked = self._accounts.confirm_password(session.user_id, password, client_ip)
        if checked.outcome is LoginOutcome.AUTHENTICATED:
            self.grants.grant(session.user_id, session.session_id, operation, Reauth.PASSWORD)
        return checked

    def send_reauth_code(
        self, session: ActiveSession, user: User, client_ip: str, proof: str = ""
    ) -> RequestResult | FactorChange:
        """Text a re-authentication code to the current number (after the password step)."""
        if self.grants.current(session.user_id, session.session_id) is None or not user.phone_number:
            return FactorChange.REAUTH_REQUIRED
        return self._otp.request_code(
            purpose=Purpose.REAUTH,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=user.phone_number,
            client_ip=client_ip,
            proof=proof,
        )

    def verify_reauth(self, session: ActiveSession, factor: Factor, code: str) -> ChangeResult:
        """The second step: a code of an enrolled factor raises the grant to password-and-code."""
        grant = self.grants.current(session.user_id, session.session_id)
        if grant is None:
            return ChangeResult(FactorChange.REAUTH_REQUIRED)
        if factor is Factor.TOTP:
            result = self._totp.verify(session.user_id, code)
        elif factor is Factor.RECOVERY:
            result = self._recovery.redeem(session.user_id, code)
        else:
            result = self._otp.verify_code(
                purpose=Purpose.REAUTH, user_id=session.user_id, session_id=session.session_id, code=code
            )
        if not result.ok:
            return ChangeResult(FactorChange.CODE_REJECTED, verify=result)
        if not self.grants.raise_to_code(session.user_id, session.session_id, grant.operation):
            return ChangeResult(FactorChange.REAUTH_REQUIRED)  # cancelled or replaced while the code was checked
        return ChangeResult(FactorChange.DONE, operation=grant.operation)

    # ---- the SMS factor --------------------------------------------------------------------------

    @staticmethod
    def sms_operation(user: User) -> Operation:
        """Enrolling a number is turning 2FA on, or changing the number when it is on."""
        return Operation.CHANGE_NUMBER if user.is_two_factor_enabled else Operation.ENABLE_SMS

    def send_enroll_code(
        self,
        session: ActiveSession,
        user: User,
        phone: str,
        phone_e164: str | None,
        client_ip: str,
        proof: str = "",
    ) -> RequestResult | FactorChange:
        """Text a setup code to a new number, under this session's grant.

        A number another account uses is not refused here: that answer would let anyone probe which
        numbers are registered, for free. It goes through the same limits and the same provider call (its
        owner gets a notice instead of a code) and answers exactly like a send; the code it "sent" can
        never verify, and verify_enroll_code refuses the number anyway."""
        if not self.grants.holds(session.user_id, session.session_id, self.sms_operation(user)):
            return FactorChange.REAUTH_REQUIRED
        if phone_e164 and phone_e164 == user.phone_number:
            return FactorChange.NOT_ALLOWED
        taken = bool(phone_e164) and self._phone_taken(session.user_id, phone_e164 or "")
        return self._otp.request_code(
            purpose=Purpose.ENROLL,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=phone,
            client_ip=client_ip,
            proof=proof,
            taken=taken,
        )

    def verify_enroll_code(self, session: ActiveSession, user: User, code: str, phone_e164: str) -> ChangeResult:
        """Check the setup code, then turn SMS on (or move it) to exactly the number it was sent to."""
        operation = self.sms_operation(user)
        if not self.grants.holds(session.user_id, session.session_id, operation):
            return ChangeResult(FactorChange.REAUTH_REQUIRED)
        verified = self._otp.verify_code(
            purpose=Purpose.ENROLL, user_id=session.user_id, session_id=session.session_id, code=code
        )
        if not verified.ok:
            return ChangeResult(FactorChange.CODE_REJECTED, verify=verified)
        if self._phone_taken(session.user_id, phone_e164):
            return ChangeResult(FactorChange.PHONE_TAKEN)
        if not self._otp.consume_phone_proof(
            user_id=session.user_id, session_id=session.session_id, phone_e164=phone_e164
        ):
            return ChangeResult(FactorChange.NO_PROOF)

        def store(tx: Session) -> tuple[str, ...]:
            first = not _set_phone(tx, session.user_id, phone_e164)
            return tuple(self._recovery.generate(session.user_id, db=tx)) if first else ()

        try:
            return self._change(session, operation, store)
        except IntegrityError:
            return ChangeResult(FactorChange.PHONE_TAKEN)

    def disable(self, session: ActiveSession) -> ChangeResult:
        """Turn 2FA off: every factor goes (number, authenticator app, recovery codes)."""

        def store(tx: Session) -> tuple[str, ...]:
            _set_phone(tx, session.user_id, None)
            self._totp.remove(session.user_id, db=tx)
            self._recovery.void_all(session.user_id, db=tx)
            return ()

        return self._change(session, Operation.DISABLE, store)

    def regenerate_codes(self, session: ActiveSession) -> ChangeResult:
        """A new set of recovery codes (shown once); the old set is void."""
        return self._change(
            session, Operation.REGENERATE_CODES, lambda tx: tuple(self._recovery.generate(session.user_id, db=tx))
        )

    # ---- the authenticator app -------------------------------------------------------------------

    def begin_totp(self, session: ActiveSession, user: User) -> TotpSetup | FactorChange:
        """A new secret to scan, under this session's grant to add an app."""
        if not self.grants.holds(session.user_id, session.session_id, Operation.ADD_TOTP):
            return FactorChange.REAUTH_REQUIRED
        return self._totp.begin_setup(session.user_id, user.email)

    def confirm_totp(self, session: ActiveSession, code: str) -> ChangeResult:
        """A current code from the app confirms it; the grant is used only when the code is right."""

        def store(tx: Session) -> tuple[str, ...]:
            result = self._totp.confirm_setup(session.user_id, code, db=tx)
            if not result.ok:
                raise _Abort(ChangeResult(FactorChange.CODE_REJECTED, verify=result))
            return ()

        return self._change(session, Operation.ADD_TOTP, store)

    def remove_totp(self, session: ActiveSession) -> ChangeResult:
        """Remove the authenticator app."""

        def store(tx: Session) -> tuple[str, ...]:
            self._totp.remove(session.user_id, db=tx)
            return ()

        return self._change(session, Operation.REMOVE_TOTP, store)

    # ---- the one finish --------------------------------------------------------------------------

    def _change(
        self, session: ActiveSession, operation: Operation, store: Callable[[Session], tuple[str, ...]]
    ) -> ChangeResult:
        """Check the grant, then in one transaction: store, consume the grant, bump the epoch, end the
        other sessions and rotate this one."""
        user_id, session_id = session.user_id, session.session_id
        if not self.grants.holds(user_id, session_id, operation):
            return ChangeResult(FactorChange.REAUTH_REQUIRED)
        try:
            with self._db.session() as tx:
                shown_once = store(tx)
                if not self.grants.consume(user_id, session_id, operation):
                    raise _Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
                bump_factor_epoch(tx, user_id)
                ended = self._sessions.end_all_for_user(user_id, keep_session_id=session_id, db=tx)
                issued = self._sessions.rotate(tx, session_id)
                if issued is None:
                    raise _Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
        except _Abort as abort:
            return abort.result
        log_event(log, logging.INFO, "factor_changed", user=user_id, operation=operation.value, sessions_ended=ended)
        return ChangeResult(FactorChange.DONE, issued=issued, recovery_codes=shown_once, operation=operation)

    def _phone_taken(self, user_id: int, phone_e164: str) -> bool:
        with self._db.session() as db:
            other = db.exec(select(User.id).where(User.phone_number == phone_e164, User.id != user_id)).first()
            return other is not None


def _set_phone(tx: Session, user_id: int, phone_e164: str | None) -> bool:
    """Save the SMS factor (a number turns 2FA on, None turns it off); True if 2FA was on before."""
    user = tx.get(User, user_id)
    if user is None:
        raise _Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
    was_on = user.is_two_factor_enabled
    user.phone_number = phone_e164
    user.is_two_factor_enabled = phone_e164 is not None
    user.updated_at = utcnow()
    tx.add(user)
    tx.flush()
    return was_on
