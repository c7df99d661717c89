"""Every change of a user's second factors (and of the password), each behind a single-use re-authentication grant.

One service owns the changes: turning SMS on, changing the number, turning 2FA off, regenerating recovery codes,
adding and removing the authenticator app or a passkey, changing the password. Each operation checks its grant (and
the session's assurance), commits the change, and ends in ONE database transaction with `revoke_everything`
(account_security.py) and a new token for this session. The grant is consumed inside that transaction: a change
happens at most once per re-authentication, and a failure anywhere rolls the whole change back (fail closed).
Re-authentication takes the password, then (with 2FA on) any one enrolled factor (grants.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.delivery.status import Channel, stored_channel
from sms2fa_app.backend.factors.grants import Operation, ReauthGrants
from sms2fa_app.backend.factors.line_checks import LineChecks
from sms2fa_app.backend.factors.passkeys import MAX_PASSKEYS_PER_USER, PasskeyProblem
from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.factors.sms_codes import Purpose, RequestResult
from sms2fa_app.backend.factors.totp import TotpSetup
from sms2fa_app.backend.flows.account_security import revoke_everything
from sms2fa_app.backend.flows.change_results import Abort, ChangeResult, FactorChange
from sms2fa_app.backend.flows.sms_enrollment import SmsEnrollment
from sms2fa_app.backend.identity.accounts import Accounts, LoginOutcome, LoginResult
from sms2fa_app.backend.identity.passwords import PasswordHasher, email_words, new_password_problem
from sms2fa_app.backend.identity.sessions import ActiveSession, SessionStore
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User, utcnow

__all__ = ["Abort", "ChangeResult", "FactorChange", "FactorChanges"]

log = logging.getLogger("sms2fa.factor_changes")


class FactorChanges(SmsEnrollment):
    """Re-authentication steps and factor operations for one signed-in session."""

    def __init__(
        self,
        database: Database,
        accounts: Accounts,
        sessions: SessionStore,
        grants: ReauthGrants,
        factors: SecondFactors,
        activity: Activity,
        hasher: PasswordHasher,
        lines: LineChecks | None = None,
    ):
        """`lines` checks a new number's line before its first send (None: the offline filter only)."""
        self._db = database
        self.lines = lines
        self._accounts = accounts
        self._sessions = sessions
        self.grants = grants
        self._factors = factors
        self._otp, self._totp, self._recovery = factors.otp, factors.totp, factors.recovery
        self._passkeys = factors.passkeys
        self._activity = activity
        self._hasher = hasher

    # ---- re-authentication ---------------------------------------------------------------------

    def allowed(self, user: User, operation: Operation) -> bool:
        """Whether the operation fits the account's factors as they are."""
        needs = operation.needs_two_factor_on
        if needs is not None and needs != user.is_two_factor_enabled:
            return False
        if operation in (Operation.ADD_TOTP, Operation.REMOVE_TOTP):
            return self._totp.is_enabled(user.id or 0) is (operation is Operation.REMOVE_TOTP)
        if operation is Operation.ADD_PASSKEY:
            return self._passkeys.count(user.id or 0) < MAX_PASSKEYS_PER_USER
        if operation is Operation.REMOVE_PASSKEY:
            return self._passkeys.count(user.id or 0) > 0
        if operation is Operation.CHOOSE_WHATSAPP:  # a texted number only (a landline's codes are spoken)
            return bool(user.phone_number) and user.phone_channel == Channel.SMS.value
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
        right = checked.outcome is LoginOutcome.AUTHENTICATED
        if right and (password_at := self._sessions.reauthenticate(session.session_id, BY_PASSWORD)) is not None:
            self.grants.grant(session.user_id, session.session_id, operation, password_at)
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
            channel=stored_channel(user.phone_channel),  # a landline is called
            proof=proof,
            user_locale=user.locale,
        )

    def reauth_passkey_options(self, session: ActiveSession) -> str | FactorChange:
        """Options for the browser to answer with one of the user's passkeys (JSON), after the password step."""
        if self.grants.current(session.user_id, session.session_id) is None:
            return FactorChange.REAUTH_REQUIRED
        options = self._passkeys.authentication_options(session.user_id, session.session_id)
        return FactorChange.NOT_ALLOWED if options is None else options

    def verify_reauth(self, session: ActiveSession, factor: Factor, code: str) -> ChangeResult:
        """The second step: a code of an enrolled factor (or a passkey's answer, as JSON) adds a second factor to
        the session's re-authentication (its assurance)."""
        grant = self.grants.current(session.user_id, session.session_id)
        if grant is None:
            return ChangeResult(FactorChange.REAUTH_REQUIRED)
        result = self._factors.verify(session.user_id, factor, code, purpose=Purpose.REAUTH, binding=session.session_id)
        if not result.ok:
            return ChangeResult(FactorChange.CODE_REJECTED, verify=result)
        # the factor counts only after the password that started this ticket (not one confirmed meanwhile)
        stamped = self._sessions.reauthenticate(session.session_id, factor.amr, after_password_at=grant.password_at)
        if stamped is None or self.grants.current(session.user_id, session.session_id) != grant:
            return ChangeResult(FactorChange.REAUTH_REQUIRED)  # cancelled or replaced while the code was checked
        return ChangeResult(FactorChange.DONE, operation=grant.operation)

    def disable(self, session: ActiveSession) -> ChangeResult:
        """Turn 2FA off: every factor goes (number, authenticator app, recovery codes, passkeys)."""

        def store(tx: Session) -> tuple[str, ...]:
            user = tx.get(User, session.user_id)
            if user is None:
                raise Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
            self._factors.remove_all(tx, user)
            return ()

        return self._change(session, Operation.DISABLE, store)

    def regenerate_codes(self, session: ActiveSession) -> ChangeResult:
        """A new set of recovery codes (shown once); the old set is void."""
        return self._change(
            session, Operation.REGENERATE_CODES, lambda tx: tuple(self._recovery.generate(session.user_id, db=tx))
        )

    # ---- how codes reach the number ---------------------------------------------------------------

    def choose_whatsapp(self, session: ActiveSession) -> ChangeResult:
        """Codes by WhatsApp from now on: they reach whoever holds the number's WhatsApp account, so a signed-in
        session alone may not move them there (the grant, as for a new number; mailed and logged)."""

        def store(tx: Session) -> tuple[str, ...]:
            if not self._accounts.set_phone_channel(session.user_id, Channel.WHATSAPP.value, db=tx):
                raise Abort(ChangeResult(FactorChange.NOT_ALLOWED))
            return ()

        return self._change(session, Operation.CHOOSE_WHATSAPP, store)

    def choose_text(self, session: ActiveSession) -> bool:
        """Codes by text again (from WhatsApp): no grant (texts are the default every account may fall back to),
        but logged and mailed like every change of where codes go. False when codes did not go by WhatsApp."""
        with self._db.session() as tx:
            user = tx.get(User, session.user_id)
            if user is None or user.phone_channel != Channel.WHATSAPP.value:
                return False
            self._accounts.set_phone_channel(session.user_id, Channel.SMS.value, db=tx)
            self._activity.record(tx, session.user_id, EventKind.CODES_BY_TEXT)
        log_event(log, logging.INFO, "code_channel_changed", user=session.user_id, channel=Channel.SMS.value)
        return True

    # ---- the authenticator app -------------------------------------------------------------------

    def begin_totp(self, session: ActiveSession, user: User) -> TotpSetup | FactorChange:
        """A new secret to scan, under this session's grant to add an app."""
        if not self._holds(session, Operation.ADD_TOTP):
            return FactorChange.REAUTH_REQUIRED
        return self._totp.begin_setup(session.user_id, user.email)

    def confirm_totp(self, session: ActiveSession, code: str) -> ChangeResult:
        """A current code from the app confirms it; the grant is used only when the code is right."""
        self._otp.lockout.await_settled(session.user_id)  # never wait for the lockout with the transaction open

        def store(tx: Session) -> tuple[str, ...]:
            result = self._totp.confirm_setup(session.user_id, code, db=tx)
            if not result.ok:
                raise Abort(ChangeResult(FactorChange.CODE_REJECTED, verify=result))
            return ()

        return self._change(session, Operation.ADD_TOTP, store)

    def remove_totp(self, session: ActiveSession) -> ChangeResult:
        """Remove the authenticator app."""

        def store(tx: Session) -> tuple[str, ...]:
            self._totp.remove(session.user_id, db=tx)
            return ()

        return self._change(session, Operation.REMOVE_TOTP, store)

    # ---- passkeys (on top of SMS, which stays in force) ------------------------------------------

    def begin_passkey(self, session: ActiveSession, user: User) -> str | FactorChange:
        """Options for the browser to create a passkey (JSON), under this session's grant to add one."""
        if not self._holds(session, Operation.ADD_PASSKEY):
            return FactorChange.REAUTH_REQUIRED
        return self._passkeys.registration_options(session.user_id, session.session_id, user.email)

    def add_passkey(self, session: ActiveSession, response_json: str, name: str, user_agent: str) -> ChangeResult:
        """The browser's new credential, verified against this session's challenge, is stored; the grant is
        used only when it is."""

        named: list[str] = []  # the stored name, for the activity line ("Passkey added: Work laptop")

        def store(tx: Session) -> tuple[str, ...]:
            added = self._passkeys.register(session.user_id, session.session_id, response_json, name, user_agent, db=tx)
            if isinstance(added, PasskeyProblem):
                raise Abort(ChangeResult(FactorChange.PASSKEY_REJECTED, passkey_problem=added))
            named.append(added.name)
            return ()

        try:
            return self._change(session, Operation.ADD_PASSKEY, store, detail=lambda: named[0] if named else "")
        except IntegrityError:  # the same credential registered concurrently
            return ChangeResult(FactorChange.PASSKEY_REJECTED, passkey_problem=PasskeyProblem.DUPLICATE)

    def remove_passkey(self, session: ActiveSession, passkey_id: int) -> ChangeResult:
        """Remove one of the user's passkeys (SMS and the other factors stay as they are)."""

        def store(tx: Session) -> tuple[str, ...]:
            if not self._passkeys.remove(session.user_id, passkey_id, db=tx):
                raise Abort(ChangeResult(FactorChange.NOT_ALLOWED))
            return ()

        return self._change(session, Operation.REMOVE_PASSKEY, store)

    # ---- the password ----------------------------------------------------------------------------

    def change_password(self, session: ActiveSession, user: User, password: str, confirmation: str) -> ChangeResult:
        """A new password (checked, then hashed outside the transaction) under this session's grant."""
        two_factor_on = user.is_two_factor_enabled
        if not self._holds(session, Operation.CHANGE_PASSWORD, two_factor_on):
            return ChangeResult(FactorChange.REAUTH_REQUIRED)
        problem = new_password_problem(password, confirmation, email_words(user.email))
        if problem is not None:
            return ChangeResult(FactorChange.PASSWORD_REFUSED, password_problem=problem)
        password_hash = self._hasher.hash(password)

        def store(tx: Session) -> tuple[str, ...]:
            stored = tx.get(User, session.user_id)
            assert stored is not None
            stored.password_hash = password_hash
            stored.updated_at = utcnow()
            tx.add(stored)
            return ()

        return self._change(session, Operation.CHANGE_PASSWORD, store)

    def _change(
        self,
        session: ActiveSession,
        operation: Operation,
        store: Callable[[Session], tuple[str, ...]],
        detail: Callable[[], str] = str,
    ) -> ChangeResult:
        """Check the grant, then in one transaction: store, consume the grant, revoke everything but this
        session (account_security.revoke_everything, which logs the change with `detail()`, read after `store`)
        and rotate this one."""
        user_id, session_id = session.user_id, session.session_id
        try:
            with self._db.session() as tx:
                user = tx.get(User, user_id)
                if user is None:
                    raise Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
                two_factor_on, old_phone = user.is_two_factor_enabled, user.phone_number
                assurance = self._sessions.assurance(session_id, db=tx)
                if not self.grants.holds(user_id, session_id, operation, assurance, two_factor_on):
                    raise Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
                shown_once = store(tx)
                if not self.grants.consume(user_id, session_id, operation, assurance, two_factor_on):
                    raise Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
                moved = operation is Operation.CHANGE_NUMBER  # the activity line names the new number's ending
                said, old_phone = ((user.phone_number or "")[-4:], old_phone) if moved else (detail(), None)
                revoked = revoke_everything(
                    tx, self._sessions, self._activity, user_id, operation.event, said,
                    keep_session_id=session_id, old_phone=old_phone,
                )  # fmt: skip
                issued = self._sessions.rotate(tx, session_id)
                if issued is None:
                    raise Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
        except Abort as abort:
            return abort.result
        ended = revoked.sessions_ended
        log_event(log, logging.INFO, "factor_changed", user=user_id, operation=operation.value, sessions_ended=ended)
        return ChangeResult(FactorChange.DONE, issued=issued, recovery_codes=shown_once, operation=operation)

    def _holds(self, session: ActiveSession, operation: Operation, two_factor_on: bool = True) -> bool:
        """The ticket for `operation`, with the session's assurance as stored now (not as the caller resolved it)."""
        assurance, user_id = self._sessions.assurance(session.session_id), session.user_id
        return self.grants.holds(user_id, session.session_id, operation, assurance, two_factor_on)

    def _phone_taken(self, user_id: int, phone_e164: str) -> bool:
        with self._db.session() as db:
            other = db.exec(select(User.id).where(User.phone_number == phone_e164, User.id != user_id)).first()
            return other is not None
