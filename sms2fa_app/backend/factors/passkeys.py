"""Passkeys (WebAuthn credentials): a phishing-resistant second factor, and a one-step sign-in, via py_webauthn.

The library makes the options (sent to the browser as `options_to_json`), parses the browser's JSON
(`parse_*_credential_json`) and verifies every ceremony against the relying party's id and origin from the
settings, with user verification required. Challenges are single use and short-lived (passkey_challenges.py).

Checking an assertion is a guess for the shared lockout (lockout.py): an unknown credential, one of another
user, a bad signature or a sign count that went backwards is WRONG and logged; a challenge already used or
expired is EXPIRED (no guess). The one-step sign-in on /login is passkey_sign_in.py. Adding and removing a
passkey are factor changes: FactorChanges calls them inside its finish.
"""

from __future__ import annotations

import enum
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, delete, func, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.passkey_challenges import (
    Ceremony,
    Challenge,
    PasskeyChallenges,
    session_binding,
)
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.identity.accounts import forget_preference, prefer_factor
from sms2fa_app.backend.infra.client import device_label
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import Passkey

log = logging.getLogger("sms2fa.passkeys")
T = TypeVar("T")

MAX_PASSKEYS_PER_USER = 10
MAX_PASSKEY_NAME_LENGTH = 64
MAX_CREDENTIAL_JSON_LENGTH = 16_384  # a registration with "none" attestation is ~1-2 KB; room for RSA keys
_USER_HANDLE_BYTES = 32


def passkey_count(user_id: ColumnElement[int] | int) -> ColumnElement[int]:
    """How many passkeys the user has, in SQL (a scalar subquery a page's facts can read with its session)."""
    return select(func.count()).where(col(Passkey.user_id) == user_id).scalar_subquery()


@dataclass(frozen=True)
class RelyingParty:
    """Who passkeys are made for: the RP id they are bound to, the one origin accepted, the name shown."""

    rp_id: str
    origin: str
    name: str


class PasskeyProblem(enum.Enum):
    """Why a new passkey was not registered."""

    MALFORMED = "malformed"  # not a registration credential in WebAuthn's JSON form
    EXPIRED = "expired"  # no live challenge: the request was used, replaced or timed out
    REFUSED = "refused"  # it did not verify (challenge, origin, RP id, user verification, attestation)
    DUPLICATE = "duplicate"  # this credential is registered already
    TOO_MANY = "too_many"
    NAME_INVALID = "name_invalid"


@dataclass(frozen=True)
class PasskeyInfo:
    """A registered passkey, as settings lists it."""

    passkey_id: int
    name: str
    created_at: float
    last_used_at: float | None
    synced: bool  # a multi-device credential (backed up, e.g. by a password manager)
    discoverable: bool | None


def passkey_name(raw: object) -> str | None:
    """The name with whitespace collapsed, if it is 1 to 64 printable characters; else None."""
    if not isinstance(raw, str) or len(raw) > 4 * MAX_PASSKEY_NAME_LENGTH:
        return None
    name = " ".join(raw.split())
    if not name or len(name) > MAX_PASSKEY_NAME_LENGTH or not name.isprintable():
        return None
    return name


def parse_credential(response_json: object, parse: Callable[[str], T]) -> T | None:
    """The library's parse of the browser's JSON, or None when it is not that (or too long)."""
    if not isinstance(response_json, str) or len(response_json) > MAX_CREDENTIAL_JSON_LENGTH:
        return None
    try:
        return parse(response_json)
    except (WebAuthnException, ValueError, TypeError):
        return None


def _info(row: Passkey) -> PasskeyInfo:
    return PasskeyInfo(row.id or 0, row.name, row.created_at, row.last_used_at, row.backup_eligible, row.discoverable)


def _descriptor(row: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in row.transports.split(",") if t]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(row.credential_id), transports=transports or None)


def _discoverable(response_json: str) -> bool | None:
    """What the browser's credProps extension said (unsigned: informative only)."""
    try:
        rk = json.loads(response_json)["clientExtensionResults"]["credProps"]["rk"]
    except (ValueError, KeyError, TypeError):
        return None
    return rk if isinstance(rk, bool) else None


class Passkeys:
    """Registers, verifies, lists, renames and removes users' passkeys."""

    def __init__(
        self,
        database: Database,
        challenges: PasskeyChallenges,
        lockout: Lockout,
        clock: Clock,
        relying_party: RelyingParty,
    ):
        self._db = database
        self._challenges = challenges
        self._lockout = lockout
        self._clock = clock
        self.relying_party = relying_party

    @property
    def _timeout_ms(self) -> int:
        return self._challenges.ttl_seconds * 1000

    # ---- registration (called by FactorChanges) --------------------------------------------------

    def registration_options(self, user_id: int, session_id: int, account_name: str) -> str:
        """Options for navigator.credentials.create() (JSON); the challenge is kept for this session."""
        rows = self._rows(user_id)
        handle = rows[0].user_handle if rows else bytes_to_base64url(secrets.token_bytes(_USER_HANDLE_BYTES))
        options = generate_registration_options(
            rp_id=self.relying_party.rp_id,
            rp_name=self.relying_party.name,
            user_name=account_name,
            user_id=base64url_to_bytes(handle),
            user_display_name=account_name,
            timeout=self._timeout_ms,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(row) for row in rows],
        )
        self._challenges.issue(
            Ceremony.REGISTER, session_binding(user_id, session_id), Challenge(options.challenge, handle)
        )
        as_dict = options_to_json_dict(options)
        as_dict["extensions"] = {"credProps": True}  # whether it became a discoverable credential
        return json.dumps(as_dict)

    def register(
        self, user_id: int, session_id: int, response_json: str, name: str, user_agent: str, db: Session
    ) -> PasskeyInfo | PasskeyProblem:
        """Verify the browser's response to the options and store the credential in `db` (a factor change's
        transaction). A blank name becomes the browser's label ("Chrome on Linux")."""
        user_id = int(user_id)
        chosen = passkey_name(name if name.strip() else device_label(user_agent).in_english())
        if chosen is None:
            return PasskeyProblem.NAME_INVALID
        credential = parse_credential(response_json, parse_registration_credential_json)
        if not isinstance(credential, RegistrationCredential):
            return PasskeyProblem.MALFORMED
        challenge = self._challenges.consume(Ceremony.REGISTER, session_binding(user_id, session_id))
        if challenge is None:
            return PasskeyProblem.EXPIRED
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge.value,
                expected_rp_id=self.relying_party.rp_id,
                expected_origin=self.relying_party.origin,
                require_user_verification=True,
            )
        except WebAuthnException as error:
            log_event(log, logging.WARNING, "passkey_refused", user=user_id, ceremony="register", reason=str(error))
            return PasskeyProblem.REFUSED
        if self.count(user_id, db=db) >= MAX_PASSKEYS_PER_USER:
            return PasskeyProblem.TOO_MANY
        credential_id = bytes_to_base64url(verified.credential_id)
        if db.exec(select(Passkey.id).where(Passkey.credential_id == credential_id)).first() is not None:
            return PasskeyProblem.DUPLICATE  # (a concurrent insert of the same one fails the unique index instead)
        row = Passkey(
            user_id=user_id,
            credential_id=credential_id,
            user_handle=challenge.user_handle,
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            transports=",".join(t.value for t in credential.response.transports or []),
            backup_eligible=verified.credential_device_type is CredentialDeviceType.MULTI_DEVICE,
            backed_up=verified.credential_backed_up,
            discoverable=_discoverable(response_json),
            aaguid=verified.aaguid,
            name=chosen,
            created_at=self._clock.now(),
        )
        db.add(row)
        db.flush()
        log_event(log, logging.INFO, "passkey_added", user=user_id, passkey=row.id, synced=row.backup_eligible)
        return _info(row)

    # ---- the second factor ------------------------------------------------------------------------

    def authentication_options(self, user_id: int, session_id: int) -> str | None:
        """Options for navigator.credentials.get() naming the user's passkeys (JSON); None when they have none."""
        rows = self._rows(user_id)
        if not rows:
            return None
        options = generate_authentication_options(
            rp_id=self.relying_party.rp_id,
            timeout=self._timeout_ms,
            allow_credentials=[_descriptor(row) for row in rows],
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        self._challenges.issue(Ceremony.VERIFY, session_binding(user_id, session_id), Challenge(options.challenge))
        return options_to_json(options)

    def verify(self, user_id: int, session_id: int, response_json: str) -> VerifyResult:
        """Check an assertion of one of the user's passkeys against this session's challenge, as a guess."""
        user_id = int(user_id)
        credential = parse_credential(response_json, parse_authentication_credential_json)
        if not isinstance(credential, AuthenticationCredential):
            return VerifyResult(VerifyStatus.MALFORMED)

        def check() -> VerifyResult:
            challenge = self._challenges.consume(Ceremony.VERIFY, session_binding(user_id, session_id))
            if challenge is None:
                return VerifyResult(VerifyStatus.EXPIRED)
            row = self.find(credential)
            if row is None or row.user_id != user_id:
                reason = "unknown_credential" if row is None else "credential_of_another_user"
                log_event(log, logging.WARNING, "passkey_refused", user=user_id, ceremony="verify", reason=reason)
                return VerifyResult(VerifyStatus.WRONG)
            return self.check_assertion(row, credential, challenge, need_user_handle=False)

        result = self._lockout.attempt(user_id, Factor.PASSKEY, check)
        if result.ok:
            with self._db.session() as db:
                prefer_factor(db, user_id, Factor.PASSKEY)
        return result

    # ---- management -------------------------------------------------------------------------------

    def list(self, user_id: int) -> list[PasskeyInfo]:
        """The user's passkeys, oldest first."""
        return [_info(row) for row in self._rows(user_id)]

    def count(self, user_id: int, db: Session | None = None) -> int:
        """How many passkeys the user has (in `db` when given)."""
        with self._db.within(db) as tx:
            return int(tx.exec(select(passkey_count(int(user_id)))).one())

    def rename(self, user_id: int, passkey_id: int, name: str) -> bool:
        """Rename one of the user's passkeys; False when the name is not valid or the passkey is not theirs."""
        chosen = passkey_name(name)
        if chosen is None:
            return False
        statement = (
            update(Passkey)
            .where(col(Passkey.id) == int(passkey_id), col(Passkey.user_id) == int(user_id))
            .values(name=chosen)
            .execution_options(synchronize_session=False)
        )
        with self._db.session() as db:
            return (db.exec(statement).rowcount or 0) == 1

    def remove(self, user_id: int, passkey_id: int, db: Session) -> bool:
        """Delete one of the user's passkeys in `db` (a factor change's transaction); False if it is not theirs.
        Without passkeys left, the user's preferred factor goes back to SMS (which stays in force)."""
        user_id = int(user_id)
        mine = (col(Passkey.id) == int(passkey_id), col(Passkey.user_id) == user_id)
        if (db.exec(delete(Passkey).where(*mine)).rowcount or 0) != 1:
            return False
        if self.count(user_id, db=db) == 0:
            forget_preference(db, user_id, Factor.PASSKEY)
        log_event(log, logging.INFO, "passkey_removed", user=user_id, passkey=int(passkey_id))
        return True

    def remove_all(self, user_id: int, db: Session) -> None:
        """Delete every passkey of the user in `db` (turning 2FA off)."""
        db.exec(delete(Passkey).where(col(Passkey.user_id) == int(user_id)))
        forget_preference(db, int(user_id), Factor.PASSKEY)

    # ---- internals --------------------------------------------------------------------------------

    def _rows(self, user_id: int) -> Sequence[Passkey]:
        with self._db.session() as db:
            query = select(Passkey).where(Passkey.user_id == int(user_id)).order_by(col(Passkey.id))
            return db.exec(query).all()

    def find(self, credential: AuthenticationCredential) -> Passkey | None:
        with self._db.session() as db:
            credential_id = bytes_to_base64url(credential.raw_id)
            return db.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()

    def check_assertion(
        self, row: Passkey, credential: AuthenticationCredential, challenge: Challenge, *, need_user_handle: bool
    ) -> VerifyResult:
        """The signature (`verify_signature`), then the sign count (`record_use`): WRONG when either fails."""
        verified = self.verify_signature(row, credential, challenge, need_user_handle=need_user_handle)
        return VerifyResult(VerifyStatus.WRONG) if verified is None else self.record_use(row, verified)

    def verify_signature(
        self, row: Passkey, credential: AuthenticationCredential, challenge: Challenge, *, need_user_handle: bool
    ) -> VerifiedAuthentication | None:
        """The verified assertion when the user handle matches and the signature holds (challenge, origin, RP id,
        user verification); None (logged) otherwise. Proves the authenticator is there; the count is not looked at."""
        handle = credential.response.user_handle
        if (handle is None and need_user_handle) or (
            handle is not None and bytes_to_base64url(handle) != row.user_handle
        ):
            log_event(log, logging.WARNING, "passkey_refused", user=row.user_id, reason="user_handle_mismatch")
            return None
        try:
            return verify_authentication_response(
                credential=credential,
                expected_challenge=challenge.value,
                expected_rp_id=self.relying_party.rp_id,
                expected_origin=self.relying_party.origin,
                credential_public_key=base64url_to_bytes(row.public_key),
                credential_current_sign_count=0,  # the count is compared in record_use, once the signature is good
                require_user_verification=True,
            )
        except WebAuthnException as error:
            log_event(log, logging.WARNING, "passkey_refused", user=row.user_id, passkey=row.id, reason=str(error))
            return None

    def record_use(self, row: Passkey, verified: VerifiedAuthentication) -> VerifyResult:
        """A verified assertion's sign count must have moved on (else WRONG: a cloned authenticator); the new
        count is stored with one conditional UPDATE (the count we checked must still be there)."""
        new_count = verified.new_sign_count
        if (new_count or row.sign_count) and new_count <= row.sign_count:
            log_event(
                log,
                logging.WARNING,
                "passkey_sign_count_regressed",
                user=row.user_id,
                passkey=row.id,
                stored=row.sign_count,
                received=new_count,
            )
            return VerifyResult(VerifyStatus.WRONG)
        statement = (
            update(Passkey)
            .where(col(Passkey.id) == row.id, col(Passkey.sign_count) == row.sign_count)
            .values(sign_count=new_count, last_used_at=self._clock.now(), backed_up=verified.credential_backed_up)
            .execution_options(synchronize_session=False)
        )
        with self._db.session() as db:
            if (db.exec(statement).rowcount or 0) != 1:  # a concurrent assertion moved the count first
                return VerifyResult(VerifyStatus.ALREADY_USED)
        return VerifyResult(VerifyStatus.OK)
