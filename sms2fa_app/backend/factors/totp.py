"""An authenticator app (TOTP, RFC 6238: SHA-1, 30 s steps, 6 digits) as a second factor.

Setup stores a fresh secret encrypted (Fernet, key derived from SECRET_KEY with HKDF) and unconfirmed,
and returns it once with its otpauth:// URI and a QR code rendered here as an SVG data URI. A current
code confirms it. Codes are accepted one step either side of now; a step at or before the last one
accepted is refused as ALREADY_USED (a replay is no guess), enforced by one conditional UPDATE. Every
guess goes through the shared per-user lockout (lockout.py), which takes its slot before the secret is
decrypted. Confirming and removing an app are factor changes: FactorChanges calls them inside its finish.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import ColumnElement, exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus, normalize_code
from sms2fa_app.backend.identity.accounts import forget_preference, prefer_factor
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_fernet
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import AuthenticatorApp

log = logging.getLogger("sms2fa.totp")

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_VALID_WINDOW = 1  # steps accepted either side of now
_KEY_INFO = b"sms2fa totp secret encryption v1"


def confirmed_app(user_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """Whether the user has a confirmed app, in SQL: `is_enabled`, and a page's facts read with its session."""
    return exists().where(col(AuthenticatorApp.user_id) == user_id, col(AuthenticatorApp.confirmed))


@dataclass(frozen=True)
class TotpSetup:
    """What the setup page shows once: the secret as text, its URI, and the QR code of the URI."""

    secret: str
    otpauth_uri: str
    qr_data_uri: str


def fernet_for(secret_key: str) -> Fernet:
    """The Fernet that encrypts TOTP secrets, keyed by HKDF-SHA256 of the server secret."""
    return keyed_fernet(secret_key, _KEY_INFO)


def qr_data_uri(text: str) -> str:
    """A QR code of the text as an SVG data URI (rendered on the server, usable as an <img> src)."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


class AuthenticatorApps:
    """Sets up, verifies and removes a user's authenticator app (at most one)."""

    def __init__(self, database: Database, lockout: Lockout, clock: Clock, secret_key: str, issuer: str):
        if not secret_key:
            raise ValueError("AuthenticatorApps needs a secret_key")
        self._db = database
        self._lockout = lockout
        self._clock = clock
        self._fernet = fernet_for(secret_key)
        self._issuer = issuer

    # ---- setup ---------------------------------------------------------------------------------

    def begin_setup(self, user_id: int, account_name: str) -> TotpSetup:
        """A new unconfirmed secret for the user (replacing an unconfirmed one); ValueError if one is confirmed."""
        user_id = int(user_id)
        secret = pyotp.random_base32()  # 32 base32 characters: 160 bits
        encrypted = self._fernet.encrypt(secret.encode()).decode()
        now = self._clock.now()
        for attempt in range(2):  # a concurrent first setup may insert the row first: retry once as an update
            try:
                with self._db.session() as db:
                    app = db.exec(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user_id)).first()
                    if app is not None and app.confirmed:
                        raise ValueError("an authenticator app is already set up; remove it first")
                    if app is None:
                        app = AuthenticatorApp(user_id=user_id, secret_encrypted=encrypted, created_at=now)
                    else:
                        app.secret_encrypted = encrypted
                        app.created_at = now
                        app.last_used_step = -1
                    db.add(app)
                break
            except IntegrityError:
                if attempt:
                    raise
        uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS).provisioning_uri(
            name=account_name, issuer_name=self._issuer
        )
        log_event(log, logging.INFO, "totp_setup_started", user=user_id)
        return TotpSetup(secret=secret, otpauth_uri=uri, qr_data_uri=qr_data_uri(uri))

    def confirm_setup(self, user_id: int, code: str, db: Session | None = None) -> VerifyResult:
        """Enable the pending app with a current code; EXPIRED when no setup is pending (not a try).

        With `db`, the confirmation is written in that transaction (a factor change's finish) and a lock is
        answered without waiting for slots in flight: the caller waited before opening it (Lockout.await_settled)."""
        normalized = normalize_code(code)
        if normalized is None:
            return VerifyResult(VerifyStatus.MALFORMED)
        user_id = int(user_id)
        return self._lockout.attempt(
            user_id, Factor.TOTP, lambda: self._confirm(user_id, normalized, db), wait=db is None
        )

    def verify(self, user_id: int, code: str) -> VerifyResult:
        """Check a code of the confirmed app (EXPIRED if none): one step either way, never a used step again."""
        normalized = normalize_code(code)
        if normalized is None:
            return VerifyResult(VerifyStatus.MALFORMED)
        user_id = int(user_id)
        result = self._lockout.attempt(user_id, Factor.TOTP, lambda: self._verify(user_id, normalized))
        if result.ok:
            with self._db.session() as db:
                prefer_factor(db, user_id, Factor.TOTP)
        return result

    def _confirm(self, user_id: int, code: str, db: Session | None) -> VerifyResult:
        app = self._app(user_id)
        if app is None or app.confirmed:
            return VerifyResult(VerifyStatus.EXPIRED)
        step, _ = self._matching_step(app.secret_encrypted, code, after=-1)
        if step is None:
            return VerifyResult(VerifyStatus.WRONG)
        statement = (
            update(AuthenticatorApp)
            .where(
                col(AuthenticatorApp.user_id) == user_id,
                col(AuthenticatorApp.confirmed).is_(False),
                col(AuthenticatorApp.secret_encrypted) == app.secret_encrypted,  # the secret we checked
            )
            .values(confirmed=True, last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        with self._db.within(db) as tx:
            if (tx.exec(statement).rowcount or 0) != 1:
                return VerifyResult(VerifyStatus.EXPIRED)
        log_event(log, logging.INFO, "totp_enabled", user=user_id)
        return VerifyResult(VerifyStatus.OK)

    def _verify(self, user_id: int, code: str) -> VerifyResult:
        app = self._app(user_id)
        if app is None or not app.confirmed:
            return VerifyResult(VerifyStatus.EXPIRED)
        step, used = self._matching_step(app.secret_encrypted, code, after=app.last_used_step)
        if step is None:
            return VerifyResult(VerifyStatus.ALREADY_USED if used else VerifyStatus.WRONG)
        with self._db.session() as db:
            result = db.exec(
                update(AuthenticatorApp)
                .where(
                    col(AuthenticatorApp.user_id) == user_id,
                    col(AuthenticatorApp.confirmed).is_(True),
                    col(AuthenticatorApp.last_used_step) < step,
                )
                .values(last_used_step=step)
                .execution_options(synchronize_session=False)
            )
        if (result.rowcount or 0) != 1:  # a concurrent verify used this step (or a later one) first
            return VerifyResult(VerifyStatus.ALREADY_USED)
        return VerifyResult(VerifyStatus.OK)

    def _app(self, user_id: int) -> AuthenticatorApp | None:
        with self._db.session() as db:
            return db.exec(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user_id)).first()

    # ---- state ---------------------------------------------------------------------------------

    def is_enabled(self, user_id: int) -> bool:
        """True when the user has a confirmed app."""
        with self._db.session() as db:
            return bool(db.exec(select(confirmed_app(int(user_id)))).one())

    def has_pending_setup(self, user_id: int) -> bool:
        """True while a setup was begun and not yet confirmed."""
        with self._db.session() as db:
            app = db.exec(select(AuthenticatorApp).where(AuthenticatorApp.user_id == int(user_id))).first()
            return app is not None and not app.confirmed

    def remove(self, user_id: int, db: Session | None = None) -> bool:
        """Delete the user's app (pending or confirmed); True when a confirmed one was removed.

        With `db`, in that transaction (a factor change's finish)."""
        user_id = int(user_id)
        with self._db.within(db) as tx:
            app = tx.exec(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user_id)).first()
            if app is None:
                return False
            was_confirmed = app.confirmed
            tx.delete(app)
            if was_confirmed:
                forget_preference(tx, user_id, Factor.TOTP)
        if was_confirmed:
            log_event(log, logging.INFO, "totp_removed", user=user_id)
        return was_confirmed

    # ---- internals -----------------------------------------------------------------------------

    def _matching_step(self, encrypted: str, code: str, *, after: int) -> tuple[int | None, bool]:
        """(the earliest step within the window later than `after` whose code is `code`, or None;
        whether the code matched a step at or before `after`, i.e. was right but already used)."""
        try:
            secret = self._fernet.decrypt(encrypted.encode()).decode()
        except InvalidToken:  # SECRET_KEY changed: the stored secret is unreadable
            log_event(log, logging.ERROR, "totp_secret_unreadable")
            return None, False
        totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
        now_step = int(self._clock.now() // TOTP_STEP_SECONDS)
        found, used = None, False
        for step in range(now_step - TOTP_VALID_WINDOW, now_step + TOTP_VALID_WINDOW + 1):
            # compare every step (constant work whatever matches); keep the earliest usable one
            if hmac.compare_digest(totp.generate_otp(step), code):
                if step > after and found is None:
                    found = step
                elif step <= after:
                    used = True
        return found, used and found is None
