"""Single-use recovery codes: generate a set, count what remains, redeem one, void them all.

A code is 10 characters from a 31-symbol alphabet without look-alikes (no 0, o, 1, l, i), about 49.5
bits, shown as `xxxxx-xxxxx`. Only HMAC-SHA256 under the server secret (bound to the user) is stored.
Redeeming shares the SMS path's per-user lockout through OtpService, and marks a code used with one
conditional UPDATE, so two concurrent redeems of one code cannot both succeed.
"""

from __future__ import annotations

import logging
import secrets

from sqlmodel import col, delete, func, select, update

from sms2fa_app.backend.factors.sms_codes import OtpService, VerifyResult, VerifyStatus
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import RecoveryCode

log = logging.getLogger("sms2fa.recovery")

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
MAX_RECOVERY_INPUT_LENGTH = 64


def new_recovery_code() -> str:
    """A fresh code, formatted `xxxxx-xxxxx`, from the OS's CSPRNG."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    half = RECOVERY_CODE_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def normalize_recovery_code(raw: object) -> str | None:
    """The code lower-cased without spaces or dashes, if it then has the right length and alphabet; else None."""
    if not isinstance(raw, str) or len(raw) > MAX_RECOVERY_INPUT_LENGTH:
        return None
    code = "".join(raw.split()).replace("-", "").lower()
    if len(code) != RECOVERY_CODE_LENGTH or not all(ch in RECOVERY_ALPHABET for ch in code):
        return None
    return code


class RecoveryCodes:
    """A user's recovery codes in the SQL database."""

    def __init__(self, database: Database, otp: OtpService, clock: Clock, secret_key: str):
        if not secret_key:
            raise ValueError("RecoveryCodes needs a secret_key")
        self._db = database
        self._otp = otp
        self._clock = clock
        self._secret = secret_key

    def _digest(self, user_id: int, normalized: str) -> str:
        return keyed_digest(self._secret, "recovery-code", str(int(user_id)), normalized)

    def generate(self, user_id: int) -> list[str]:
        """A new set of RECOVERY_CODE_COUNT codes (shown once); the old set is void."""
        user_id = int(user_id)
        codes: list[str] = []
        while len(codes) < RECOVERY_CODE_COUNT:
            code = new_recovery_code()
            if code not in codes:
                codes.append(code)
        now = self._clock.now()
        with self._db.session() as db:
            db.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
            for code in codes:
                digest = self._digest(user_id, normalize_recovery_code(code) or "")
                db.add(RecoveryCode(user_id=user_id, code_digest=digest, created_at=now))
        log.info("event=recovery_codes_generated user=%s count=%s", user_id, len(codes))
        return codes

    def remaining(self, user_id: int) -> int:
        """How many unused codes the user has."""
        with self._db.session() as db:
            query = select(func.count()).where(
                RecoveryCode.user_id == int(user_id), col(RecoveryCode.used_at).is_(None)
            )
            return int(db.exec(query).one())

    def redeem(self, user_id: int, raw: str) -> VerifyResult:
        """Use one code: OK once per code; MALFORMED is not a try; a wrong or used code counts toward the lockout."""
        user_id = int(user_id)
        normalized = normalize_recovery_code(raw)
        if normalized is None:
            log.info("event=recovery_code_failed user=%s status=malformed", user_id)
            return VerifyResult(VerifyStatus.MALFORMED)
        locked = self._otp.check_lockout(user_id)
        if locked is not None:
            return locked
        with self._db.session() as db:
            result = db.exec(
                update(RecoveryCode)
                .where(
                    col(RecoveryCode.user_id) == user_id,
                    col(RecoveryCode.code_digest) == self._digest(user_id, normalized),
                    col(RecoveryCode.used_at).is_(None),
                )
                .values(used_at=self._clock.now())
                .execution_options(synchronize_session=False)
            )
            used = (result.rowcount or 0) == 1
        if not used:
            return self._otp.register_failed_attempt(user_id)
        self._otp.clear_failures(user_id)
        log.info("event=recovery_code_used user=%s remaining=%s", user_id, self.remaining(user_id))
        return VerifyResult(VerifyStatus.OK)

    def void_all(self, user_id: int) -> None:
        """Delete every code of the user (e.g. when 2FA is turned off)."""
        with self._db.session() as db:
            db.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == int(user_id)))
        log.info("event=recovery_codes_voided user=%s", int(user_id))
