"""The SMS factor's two steps (turning 2FA on with a number, or changing the number), part of FactorChanges.

Before the first send to a new number, its line is checked once (factors/line_checks.py: Plivo Lookup, cached,
counted against the send pressure): a mobile is texted, a landline is called and saved with phone_channel
"voice" (later codes call it too), VoIP not listed and toll-free are refused.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.factors.line_checks import LineAccepted, LineChecks
from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.sms_codes import OtpService, Purpose, RequestResult
from sms2fa_app.backend.flows.change_results import Abort, ChangeResult, FactorChange
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.models import User, utcnow


class SmsEnrollment:
    """Sending and checking the setup code of a new number (FactorChanges supplies the grants and the change)."""

    _otp: OtpService
    _recovery: RecoveryCodes
    lines: LineChecks | None = None  # None: no line check (the offline filter only)

    # FactorChanges' own: the grant this session holds, whether another account has the number, the one
    # transactional finish of every change.
    _holds: Callable[..., bool]
    _phone_taken: Callable[[int, str], bool]
    _change: Callable[..., ChangeResult]

    @staticmethod
    def sms_operation(user: User) -> Operation:
        """Enrolling a number is turning 2FA on, or changing the number when it is on."""
        return Operation.CHANGE_NUMBER if user.is_two_factor_enabled else Operation.ENABLE_SMS

    def send_enroll_code(
        self, session: ActiveSession, user: User, phone: str, phone_e164: str | None, client_ip: str, proof: str = ""
    ) -> RequestResult | FactorChange:
        """Text (a landline: call) a setup code to a new number, under this session's grant, once its line is
        checked. A number another account uses is not refused here (that would let anyone probe which numbers are
        registered, for free): it costs and answers the same as a send (its owner gets a notice, no code); that
        code never verifies, and verify_enroll_code refuses the number anyway."""
        operation = self.sms_operation(user)
        if not self._holds(session, operation):
            return FactorChange.REAUTH_REQUIRED
        if phone_e164 and phone_e164 == user.phone_number:
            return FactorChange.NOT_ALLOWED
        replacing = operation is Operation.CHANGE_NUMBER  # a lost phone's way out: a window of its own
        channel, prepaid = Channel.SMS, False
        if self.lines is not None:
            verdict = self.lines.check(
                phone=phone, user_id=session.user_id, client_ip=client_ip, proof=proof, replacing_number=replacing
            )
            if not isinstance(verdict, LineAccepted):
                return verdict
            channel, prepaid = verdict.channel, verdict.prepaid  # the check's spent proof pays for this send
        taken = bool(phone_e164) and self._phone_taken(session.user_id, phone_e164 or "")
        return self._otp.request_code(
            purpose=Purpose.ENROLL,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=phone,
            client_ip=client_ip,
            channel=channel,
            proof=proof,
            taken=taken,
            user_locale=user.locale,
            replacing_number=replacing,
            prepaid=prepaid,
        )

    def verify_enroll_code(self, session: ActiveSession, user: User, code: str, phone_e164: str) -> ChangeResult:
        """Check the setup code, then turn SMS on (or move it) to exactly the number it was sent to, with the
        channel its line takes."""
        operation = self.sms_operation(user)
        if not self._holds(session, operation):
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
        channel = self.lines.channel_for(phone_e164) if self.lines is not None else Channel.SMS

        def store(tx: Session) -> tuple[str, ...]:
            first = not set_phone(tx, session.user_id, phone_e164, channel)
            return tuple(self._recovery.generate(session.user_id, db=tx)) if first else ()

        try:
            return self._change(session, operation, store)
        except IntegrityError:
            return ChangeResult(FactorChange.PHONE_TAKEN)


def set_phone(tx: Session, user_id: int, phone_e164: str | None, channel: Channel = Channel.SMS) -> bool:
    """Save the SMS factor (a number turns 2FA on, None turns it off) and how its codes travel; True if 2FA was on
    before."""
    user = tx.get(User, user_id)
    if user is None:
        raise Abort(ChangeResult(FactorChange.REAUTH_REQUIRED))
    was_on = user.is_two_factor_enabled
    user.phone_number = phone_e164
    user.phone_channel = channel.value if phone_e164 is not None else Channel.SMS.value
    user.is_two_factor_enabled = phone_e164 is not None
    user.updated_at = utcnow()
    tx.add(user)
    tx.flush()
    return was_on
