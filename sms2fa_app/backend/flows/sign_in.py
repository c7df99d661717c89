"""Signing in: what follows the password, the one-step passkey sign-in, the second factor, and the step-up a
protected page's `recent` rule asks of a signed-in session (page_access.py).

Each step that starts a session ends the browser's previous one (a new sign-in never leaves the old session
alive behind it), here and only here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.delivery.status import stored_channel
from sms2fa_app.backend.factors.devices import RememberedDevices
from sms2fa_app.backend.factors.passkey_sign_in import PasskeySignIn, PasskeySignIns
from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.factors.sms_codes import Purpose, RequestResult
from sms2fa_app.backend.identity.accounts import Accounts, LoginOutcome, LoginResult
from sms2fa_app.backend.identity.sessions import ActiveSession, IssuedSession, SessionStore
from sms2fa_app.backend.infra.crypto import TokenDigest
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import User

REMEMBERED_DEVICE = "device"  # what signed a session in when a remembered device skipped the challenge


@dataclass(frozen=True)
class PasswordStep:
    """After a right password: the session to adopt (signed in already when a remembered device skipped the
    second factor) and whether the previous session of this browser was ended."""

    result: LoginResult
    issued: IssuedSession | None
    device_skipped: bool = False
    previous_ended: bool = False


@dataclass(frozen=True)
class SecondFactorStep:
    """The factor's verdict; when right, the signed-in session under a new token (None when it expired
    meanwhile) and the new remembered-device token ("" unless asked for)."""

    verify: VerifyResult
    issued: IssuedSession | None = None
    device_token: str = ""


class SignIn:
    """The sign-in use cases, over the session store, remembered devices and the second factors."""

    def __init__(
        self,
        sessions: SessionStore,
        devices: RememberedDevices,
        factors: SecondFactors,
        accounts: Accounts,
        passkey_sign_in: PasskeySignIns,
    ):
        self._sessions = sessions
        self._devices = devices
        self._factors = factors
        self._accounts = accounts
        self._passkey_sign_in = passkey_sign_in

    def _end_previous(self, previous_token: TokenDigest | None) -> bool:
        """End the browser's previous session once a new one exists (True when there was a token to end)."""
        if not previous_token:
            return False
        self._sessions.end(previous_token)
        return True

    def after_password(
        self, result: LoginResult, previous_token: TokenDigest | None, device: TokenDigest | None
    ) -> PasswordStep:
        """What follows `Accounts.log_in` (called apart: it hashes, in its own threads): the previous session ends,
        and a remembered device skips the second factor."""
        if result.issued is None:
            return PasswordStep(result, None)
        ended = self._end_previous(previous_token)
        issued: IssuedSession | None = result.issued
        skipped = None
        if result.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED:
            skipped = self._remembered(result.issued, device)
        return PasswordStep(result, skipped or issued, device_skipped=skipped is not None, previous_ended=ended)

    def _remembered(self, issued: IssuedSession, device: TokenDigest | None) -> IssuedSession | None:
        """The session moved on under a new token when `device` is the user's remembered device; else None (an
        outage of the device check leaves the second factor to ask)."""
        try:
            if not self._devices.check(issued.session.user_id, device):
                return None
            return self._sessions.advance(issued.token, (Amr.SWK,), REMEMBERED_DEVICE, seen=issued.session)
        except ServiceUnavailable:
            return None

    def with_passkey(
        self,
        handle: str,
        credential: str,
        client_ip: str,
        user_agent: str,
        proof: str,
        previous_token: TokenDigest | None,
    ) -> PasskeySignIn:
        """The one-step passkey sign-in; when it signs in, the browser's previous session ends."""
        signed = self._passkey_sign_in.sign_in(handle, credential, client_ip, user_agent, proof)
        if signed.issued is not None:
            self._end_previous(previous_token)
        return signed

    def second_factor(
        self,
        token: TokenDigest | None,
        session: ActiveSession,
        user: User,
        factor: Factor,
        code: str,
        *,
        remember_device_for: str | None = None,
    ) -> SecondFactorStep:
        """Check the factor; when right, the session signed in under a new token, the factor used remembered
        (a texted code makes SMS the preferred factor again) and, with `remember_device_for` (the browser's
        user agent), a remembered-device token."""
        result = self._factors.verify(session.user_id, factor, code, purpose=Purpose.LOGIN, binding=session.session_id)
        if not result.ok:
            return SecondFactorStep(result)
        issued = self._sessions.advance(token, factor.amr, factor.value, seen=session)
        if issued is None:
            return SecondFactorStep(result)
        if factor is Factor.SMS and user.preferred_factor != Factor.SMS.value:
            self._accounts.set_preferred_factor(session.user_id, Factor.SMS)
        remember = remember_device_for is not None
        device_token = self._devices.remember(session.user_id, remember_device_for or "") if remember else ""
        return SecondFactorStep(result, issued, device_token)

    def send_step_up_code(self, session: ActiveSession, user: User, client_ip: str, proof: str = "") -> RequestResult:
        """Text a step-up code to the user's number, bound to this signed-in session."""
        return self._factors.otp.request_code(
            purpose=Purpose.STEP_UP,
            user_id=session.user_id,
            session_id=session.session_id,
            phone=user.phone_number or "",
            client_ip=client_ip,
            channel=stored_channel(user.phone_channel),  # a landline is called
            proof=proof,
            user_locale=user.locale,
        )

    def step_up(self, token: TokenDigest | None, session: ActiveSession, factor: Factor, code: str) -> SecondFactorStep:
        """Check a factor asked again of a signed-in session; when right, it is recorded (auth_time moves) and the
        session goes on under a new token (None when it ended meanwhile)."""
        result = self._factors.verify(
            session.user_id, factor, code, purpose=Purpose.STEP_UP, binding=session.session_id
        )
        if not result.ok:
            return SecondFactorStep(result)
        return SecondFactorStep(result, self._sessions.step_up(token, factor.amr))
