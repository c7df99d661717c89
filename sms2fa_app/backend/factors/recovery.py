"""Single-use recovery codes: generate a set, count what remains, redeem one, void them all.

A code is 10 characters from a 31-symbol alphabet without look-alikes (no 0, o, 1, l, i), about 49.5
bits, shown as `xxxxx-xxxxx`. Only HMAC-SHA256 under the server secret (bound to the user) is stored.
Redeeming goes through the shared per-user lockout (lockout.py) and marks a code used with one
conditional UPDATE, so two concurrent redeems of one code cannot both succeed; the loser, and any later
use of a spent code, is ALREADY_USED (right but spent: no guess).
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, delete, func, select, update

from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.factors.lockout import Lockout
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
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


def unused_codes(user_id: ColumnElement[int] | int) -> ColumnElement[int]:
    """How many unused codes the user has, in SQL (a scalar subquery a page's facts can read with its session)."""
    unused = select(func.count()).where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None))
    return unused.scalar_subquery()


class RecoveryCodes:
    """A user's recovery codes in the SQL database."""

    def __init__(
        self, database: Database, lockout: Lockout, clock: Clock, secret_key: str, activity: Activity | None = None
    ):
        """With `activity`, every code used is logged (with how many are left) in the transaction that spends it."""
        if not secret_key:
            raise ValueError("RecoveryCodes needs a secret_key")
        self._db = database
        self._lockout = lockout
        self._clock = clock
        self._secret = secret_key
        self._activity = activity

    def _digest(self, user_id: int, normalized: str) -> str:
        return keyed_digest(self._secret, "recovery-code", str(int(user_id)), normalized)

    def generate(self, user_id: int, db: Session | None = None) -> list[str]:
        """A new set of RECOVERY_CODE_COUNT codes (shown once); the old set is void. With `db`, in that
        transaction (a factor change's finish)."""
        user_id = int(user_id)
        codes: list[str] = []
        while len(codes) < RECOVERY_CODE_COUNT:
            code = new_recovery_code()
            if code not in codes:
                codes.append(code)
        now = self._clock.now()
        with self._db.within(db) as tx:
            tx.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
            for code in codes:
                digest = self._digest(user_id, normalize_recovery_code(code) or "")
                tx.add(RecoveryCode(user_id=user_id, code_digest=digest, created_at=now))
        log_event(log, logging.INFO, "recovery_codes_generated", user=user_id, count=len(codes))
        return codes

    def remaining(self, user_id: int) -> int:
        """How many unused codes the user has."""
        with self._db.session() as db:
            return self._count_unused(db, int(user_id))

    @staticmethod
    def _count_unused(db: Session, user_id: int) -> int:
        return int(db.exec(select(unused_codes(user_id))).one())

    def redeem(self, user_id: int, raw: str) -> VerifyResult:
        """Use one code: OK once per code; MALFORMED is not a try; a wrong code counts toward the lockout,
        a spent one (ALREADY_USED) does not."""
        user_id = int(user_id)
        normalized = normalize_recovery_code(raw)
        if normalized is None:
            log_event(log, logging.INFO, "verify_failed", user=user_id, factor="recovery", status="malformed")
            return VerifyResult(VerifyStatus.MALFORMED)
        digest = self._digest(user_id, normalized)
        return self._lockout.attempt(user_id, Factor.RECOVERY, lambda: self._spend(user_id, digest))

    def _spend(self, user_id: int, digest: str) -> VerifyResult:
        mine = (col(RecoveryCode.user_id) == user_id, col(RecoveryCode.code_digest) == digest)
        with self._db.session() as db:
            spent = db.exec(
                update(RecoveryCode)
                .where(*mine, col(RecoveryCode.used_at).is_(None))
                .values(used_at=self._clock.now())
                .execution_options(synchronize_session=False)
            )
            if (spent.rowcount or 0) == 1:
                remaining = self._count_unused(db, user_id)
                if self._activity is not None:
                    self._activity.record(db, user_id, EventKind.RECOVERY_CODE_USED, remaining)
                log_event(log, logging.INFO, "recovery_code_used", user=user_id, remaining=remaining)
                return VerifyResult(VerifyStatus.OK)
            known = db.exec(select(func.count()).where(*mine)).one()
        return VerifyResult(VerifyStatus.ALREADY_USED if known else VerifyStatus.WRONG)

    def void_all(self, user_id: int, db: Session | None = None) -> None:
        """Delete every code of the user (e.g. when 2FA is turned off); with `db`, in that transaction."""
        with self._db.within(db) as tx:
            tx.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == int(user_id)))
        log_event(log, logging.INFO, "recovery_codes_voided", user=int(user_id))
