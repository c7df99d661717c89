"""Sign in with a passkey on /login, in one step: no email, no password, no second factor to wait for.

The browser is asked for a discoverable credential with user verification (no allow list), so the
credential itself names the user. The challenge is bound to a random handle that the page's server-side
state keeps (there is no login session yet). A credential id or user handle proves nothing (issue 20,
finding 2): until the signature verifies, the attempt is a failed sign-in of the client IP (the window
Accounts keeps for passwords, with a proof of work under pressure), never a guess against the user it
names, so a forger cannot lock anyone out. Once the signature holds, the sign count is the user's guess
for the shared lockout (a count gone backwards is a cloned authenticator). The account check every way in
shares (Accounts.sign_in_refusal) and the 2FA check come first, right after the signature: a refused account's
passkey neither clears the user's lockout nor counts a use. A right one starts a signed-in session under a new
token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from webauthn import generate_authentication_options
from webauthn.helpers import options_to_json, parse_authentication_credential_json
from webauthn.helpers.structs import UserVerificationRequirement

from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.passkey_challenges import Ceremony, Challenge, PasskeyChallenges, valid_handle
from sms2fa_app.backend.factors.passkeys import Passkeys, parse_credential
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.identity.accounts import Accounts, LoginOutcome, prefer_factor
from sms2fa_app.backend.identity.sessions import IssuedSession, SessionStore
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.passkeys")


@dataclass(frozen=True)
class PasskeySignIn:
    """How the sign-in ended (LOCKED with the wait when the user or the IP is throttled), why the account or the
    IP's pressure refused it, and the new signed-in session when it worked."""

    result: VerifyResult
    issued: IssuedSession | None = None
    refusal: LoginOutcome | None = None  # PROOF_REQUIRED (nothing checked) or INVALID_CREDENTIALS (the account's)


class PasskeySignIns:
    """The one-step sign-in's options and verification."""

    def __init__(
        self,
        database: Database,
        passkeys: Passkeys,
        challenges: PasskeyChallenges,
        lockout: Lockout,
        accounts: Accounts,
        sessions: SessionStore,
    ):
        self._db = database
        self._passkeys = passkeys
        self._challenges = challenges
        self._lockout = lockout
        self._accounts = accounts
        self._sessions = sessions

    def options(self, handle: str) -> str:
        """Options for navigator.credentials.get() of a discoverable credential (JSON), bound to `handle`."""
        if not valid_handle(handle):
            raise ValueError("a sign-in handle is a random token")
        options = generate_authentication_options(
            rp_id=self._passkeys.relying_party.rp_id,
            timeout=self._challenges.ttl_seconds * 1000,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        self._challenges.issue(Ceremony.SIGN_IN, handle, Challenge(options.challenge))
        return options_to_json(options)

    def sign_in(
        self, handle: str, response_json: str, client_ip: str = "", user_agent: str = "", proof: str = ""
    ) -> PasskeySignIn:
        """Check the browser's assertion against the handle's challenge; a right one signs its user in. `proof` is
        the posted proof-of-work payload, needed while the IP has failed many sign-ins."""
        credential = parse_credential(response_json, parse_authentication_credential_json)
        if credential is None or not valid_handle(handle):
            return PasskeySignIn(VerifyResult(VerifyStatus.MALFORMED))
        refused, slot = self._accounts.reserve_ip_attempt(client_ip, proof)  # a failure until the signature holds
        if refused is not None and refused.outcome is LoginOutcome.PROOF_REQUIRED:
            return PasskeySignIn(VerifyResult(VerifyStatus.EXPIRED), refusal=LoginOutcome.PROOF_REQUIRED)
        if refused is not None:
            return PasskeySignIn(VerifyResult(VerifyStatus.LOCKED, retry_after_seconds=refused.retry_after_seconds))
        challenge = self._challenges.consume(Ceremony.SIGN_IN, handle)
        if challenge is None:
            self._accounts.release_ip_attempt(client_ip, slot)
            return PasskeySignIn(VerifyResult(VerifyStatus.EXPIRED))
        row = self._passkeys.find(credential)
        if row is None:
            log_event(
                log, logging.WARNING, "passkey_refused", ceremony="sign_in", reason="unknown_credential", ip=client_ip
            )
            return PasskeySignIn(VerifyResult(VerifyStatus.WRONG))
        verified = self._passkeys.verify_signature(row, credential, challenge, need_user_handle=True)
        if verified is None:  # a forged or foreign assertion: the IP keeps the failure, the owner is not touched
            return PasskeySignIn(VerifyResult(VerifyStatus.WRONG))
        self._accounts.release_ip_attempt(client_ip, slot)
        user_id = row.user_id
        user = self._accounts.get(user_id)  # the account first: a refused one neither clears a lock nor uses the key
        if (refusal := self._accounts.sign_in_refusal(user)) is not None:
            return PasskeySignIn(VerifyResult(VerifyStatus.EXPIRED), refusal=refusal)
        if user is None or not user.is_two_factor_enabled:  # passkeys go with 2FA; never a way around it
            return PasskeySignIn(VerifyResult(VerifyStatus.EXPIRED))
        result = self._lockout.attempt(user_id, Factor.PASSKEY, lambda: self._passkeys.record_use(row, verified))
        if not result.ok:
            return PasskeySignIn(result)
        with self._db.session() as db:
            prefer_factor(db, user_id, Factor.PASSKEY)
        issued = self._sessions.create(user_id, Factor.PASSKEY.amr, client_ip, user_agent, how=Factor.PASSKEY.value)
        log_event(log, logging.INFO, "login", user=user_id, method="passkey")
        return PasskeySignIn(result, issued)
