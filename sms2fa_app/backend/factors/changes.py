"""Turning the SMS factor on, changing it and turning it off, each behind the server's own proof.

Every change needs a fresh re-authentication grant bound to the session: the password to add a
first factor; the password and a code to the current number to change or remove one. Enabling also
consumes the OTP service's proof that this user verified a code sent to this exact number in this
session. After a change, every other session of the user ends.
"""

from __future__ import annotations

import enum
import logging

import redis
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from sms2fa_app.backend.factors.devices import bump_factor_epoch
from sms2fa_app.backend.factors.recovery import RecoveryCodes
from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.factors.totp import AuthenticatorApps
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.redis_store import redis_fail_closed
from sms2fa_app.backend.models import User, utcnow

log = logging.getLogger("sms2fa.two_factor")

REAUTH_GRANT_SECONDS = 600
FACTORS = ("sms", "totp")  # values of User.preferred_factor


class FactorChange(enum.Enum):
    """Outcome of enabling or disabling the SMS factor."""

    DONE = "done"
    NO_PROOF = "no_proof"
    REAUTH_REQUIRED = "reauth_required"
    PHONE_TAKEN = "phone_taken"


class Reauth(enum.Enum):
    """How a session re-authenticated before changing a factor."""

    PASSWORD = "password"
    PASSWORD_AND_CODE = "password_and_code"


class TwoFactorManager:
    """Owns the user's SMS-factor fields; every change is proven on the server."""

    def __init__(
        self,
        database: Database,
        otp: OtpService,
        client: redis.Redis,
        clock: Clock,
        sessions: SessionStore,
        other_factors: tuple[AuthenticatorApps, RecoveryCodes],
    ):
        self._db = database
        self._otp = otp
        self._redis = client
        self._clock = clock
        self._sessions = sessions
        self._totp, self._recovery = other_factors

    @staticmethod
    def _grant_key(user_id: int, session_id: int) -> str:
        return f"reauth:{user_id}:{session_id}"

    def grant_reauth(self, user_id: int, session_id: int, level: Reauth) -> None:
        """Record that this session just re-authenticated at this level (kept REAUTH_GRANT_SECONDS)."""
        value = f"{level.value}:{self._clock.now() + REAUTH_GRANT_SECONDS!r}"
        with redis_fail_closed():
            self._redis.set(self._grant_key(user_id, session_id), value, ex=REAUTH_GRANT_SECONDS + 5)

    def reauth_level(self, user_id: int, session_id: int) -> Reauth | None:
        """The fresh re-authentication of this session, or None."""
        with redis_fail_closed():
            stored = self._redis.get(self._grant_key(user_id, session_id))
        if stored is None:
            return None
        level, _, until = stored.partition(":")
        return Reauth(level) if float(until) > self._clock.now() else None

    def has_reauth(self, user_id: int, session_id: int, needed: Reauth) -> bool:
        """True when this session re-authenticated at least at the needed level."""
        level = self.reauth_level(user_id, session_id)
        return level is not None and (level is Reauth.PASSWORD_AND_CODE or needed is Reauth.PASSWORD)

    def needed_reauth(self, user: User) -> Reauth:
        """Password for a first factor; password and a code to the current number to change or remove one."""
        return Reauth.PASSWORD_AND_CODE if user.is_two_factor_enabled else Reauth.PASSWORD

    def _finish_change(self, user_id: int, session_id: int) -> None:
        """After any factor change: void the grant and end every other session of the user."""
        with redis_fail_closed():
            self._redis.delete(self._grant_key(user_id, session_id))
        self._sessions.end_all_for_user(user_id, keep_session_id=session_id)

    def phone_taken(self, user_id: int, phone_e164: str) -> bool:
        """True when another account already uses this number."""
        with self._db.session() as db:
            other = db.exec(select(User).where(User.phone_number == phone_e164, User.id != user_id)).first()
            return other is not None

    def enable(self, user_id: int, session_id: int, phone_e164: str) -> FactorChange:
        """Turn 2FA on (or move it to a new number) by consuming the proof of the verified number."""
        with self._db.session() as db:
            user = db.get(User, user_id)
            assert user is not None
            changing = user.is_two_factor_enabled
            needed = self.needed_reauth(user)
        if not self.has_reauth(user_id, session_id, needed):
            return FactorChange.REAUTH_REQUIRED
        if self.phone_taken(user_id, phone_e164):
            return FactorChange.PHONE_TAKEN
        if not self._otp.consume_phone_proof(user_id=user_id, session_id=session_id, phone_e164=phone_e164):
            return FactorChange.NO_PROOF
        try:
            self._store_factor(user_id, phone_e164)
        except IntegrityError:
            return FactorChange.PHONE_TAKEN
        self._finish_change(user_id, session_id)
        log.info("event=two_factor_%s user_id=%s", "changed" if changing else "enabled", user_id)
        return FactorChange.DONE

    def disable(self, user_id: int, session_id: int) -> FactorChange:
        """Turn 2FA off; needs a fresh re-authentication of this session."""
        if not self.has_reauth(user_id, session_id, Reauth.PASSWORD_AND_CODE):
            return FactorChange.REAUTH_REQUIRED
        self._store_factor(user_id, None)
        self._totp.remove(user_id)  # turning 2FA off removes every factor, not only the phone
        self._recovery.void_all(user_id)
        self._finish_change(user_id, session_id)
        log.info("event=two_factor_disabled user_id=%s", user_id)
        return FactorChange.DONE

    def bump_epoch(self, user_id: int) -> int:
        """Record a second-factor change: every remembered device of the user is void. Returns the new epoch."""
        with self._db.session() as db:
            return bump_factor_epoch(db, user_id)

    def set_preferred_factor(self, user_id: int, factor: str) -> None:
        """Remember which factor the user last used ("sms" or "totp"), offered first at the next challenge."""
        if factor not in FACTORS:
            raise ValueError(f"unknown factor {factor!r}")
        with self._db.session() as db:
            user = db.get(User, user_id)
            assert user is not None
            if user.preferred_factor != factor:
                user.preferred_factor = factor
                db.add(user)

    def _store_factor(self, user_id: int, phone_e164: str | None) -> None:
        """Save the SMS factor: a number turns 2FA on, None turns it off; either way the factor epoch moves on."""
        with self._db.session() as db:
            user = db.get(User, user_id)
            assert user is not None
            user.phone_number = phone_e164
            user.is_two_factor_enabled = phone_e164 is not None
            user.updated_at = utcnow()
            db.add(user)
            bump_factor_epoch(db, user)
