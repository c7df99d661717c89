"""Remembered devices: a browser that passed the second factor may skip it for REMEMBER_DAYS.

The browser keeps a random 256-bit token; the database keeps only its SHA-256, the user, the browser and
system from the user agent (`DeviceLabel.stored`; older rows hold English, read back by `DeviceLabel.parse`),
the times and the user's factor epoch when it was made. A device counts only while it is unexpired and its epoch
equals the user's: every change of a second factor bumps the epoch (bump_factor_epoch), which voids every
remembered device of the user at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.infra.client import DeviceLabel, device_label
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import TokenDigest, lookup_digest, new_token, token_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import RememberedDevice, User, utcnow

REMEMBER_DAYS = 30
MAX_DEVICES_PER_USER = 20  # remembering one more forgets the least recently used
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class DeviceInfo:
    """A live remembered device, as the settings page lists it."""

    device_id: int
    label: DeviceLabel
    first_seen: float
    last_used: float
    current: bool = False  # the browser that asked for the list


def bump_factor_epoch(db: Session, user: User | int) -> int:
    """Increment the user's factor epoch in this transaction and forget all their remembered devices.

    The increment is one UPDATE (no lost update under concurrency); a User object passed in sees the
    new value without being marked dirty. Returns the new epoch.
    """
    user_id = user if isinstance(user, int) else user.id
    assert user_id is not None
    db.flush()
    statement = (
        update(User)
        .where(col(User.id) == user_id)
        .values(factor_epoch=User.factor_epoch + 1, updated_at=utcnow())
        .returning(User.factor_epoch)
        .execution_options(synchronize_session=False)
    )
    epoch = int(db.exec(statement).scalar_one())
    if isinstance(user, User):
        set_committed_value(user, "factor_epoch", epoch)
    db.exec(delete(RememberedDevice).where(col(RememberedDevice.user_id) == user_id))
    return epoch


class RememberedDevices:
    """Issues, checks, lists and forgets remembered-device tokens."""

    def __init__(
        self, database: Database, clock: Clock, *, remember_days: int = REMEMBER_DAYS, activity: Activity | None = None
    ):
        """With `activity`, remembering a device is logged (and noticed) in its transaction."""
        self._db = database
        self._clock = clock
        self.remember_days = remember_days
        self.remember_seconds = remember_days * DAY_SECONDS
        self._activity = activity

    def remember(self, user_id: int, user_agent: str) -> str:
        """A new device token for the user (the browser keeps it; it is never stored), bound to the current epoch."""
        now = self._clock.now()
        token = new_token()
        with self._db.session() as db:
            user = db.get(User, user_id)
            if user is None:
                raise ValueError("unknown user")
            self._purge(db, user, now)
            db.add(
                RememberedDevice(
                    user_id=user_id,
                    token_digest=token_digest(token),
                    label=device_label(user_agent).stored(),
                    factor_epoch=user.factor_epoch,
                    created_at=now,
                    last_used_at=now,
                    expires_at=now + self.remember_seconds,
                )
            )
            db.flush()
            self._evict_beyond_limit(db, user_id)
            if self._activity is not None:
                self._activity.record(db, user_id, EventKind.DEVICE_REMEMBERED, self.remember_days)
        return token

    def check(self, user_id: int, token: str | TokenDigest | None) -> bool:
        """True if the token (or its digest) is this user's live device (unexpired, current epoch) and the user is no
        admin; records the use."""
        digest = lookup_digest(token)
        if digest is None:
            return False
        now = self._clock.now()
        with self._db.session() as db:
            device = db.exec(select(RememberedDevice).where(RememberedDevice.token_digest == digest)).first()
            if device is None or device.user_id != user_id:
                return False
            user = db.get(User, user_id)
            if user is None or not self._live(device, user, now):
                db.delete(device)
                return False
            if user.is_admin:  # an admin presents a second factor at every sign-in (the console needs one)
                return False
            device.last_used_at = now
            db.add(device)
            return True

    def list(self, user_id: int, current: str | TokenDigest | None = None) -> list[DeviceInfo]:
        """The user's live remembered devices, newest first; the one whose token is `current` is marked."""
        now = self._clock.now()
        mine = lookup_digest(current)
        with self._db.session() as db:
            user = db.get(User, user_id)
            if user is None:
                return []
            devices = db.exec(
                select(RememberedDevice)
                .where(
                    RememberedDevice.user_id == user_id,
                    RememberedDevice.factor_epoch == user.factor_epoch,
                    RememberedDevice.expires_at > now,
                )
                .order_by(col(RememberedDevice.created_at).desc(), col(RememberedDevice.id).desc())
            ).all()
            return [
                DeviceInfo(
                    device_id=d.id or 0,
                    label=DeviceLabel.parse(d.label),
                    first_seen=d.created_at,
                    last_used=d.last_used_at,
                    current=mine is not None and d.token_digest == mine,
                )
                for d in devices
            ]

    def forget(self, user_id: int, device_id: int) -> bool:
        """Forget one of the user's devices; False if it is not theirs (or already gone)."""
        with self._db.session() as db:
            result = db.exec(
                delete(RememberedDevice).where(
                    col(RememberedDevice.id) == device_id, col(RememberedDevice.user_id) == user_id
                )
            )
            return (result.rowcount or 0) == 1

    def forget_all(self, user_id: int) -> int:
        """Forget every device of the user; returns how many were live."""
        now = self._clock.now()
        with self._db.session() as db:
            user = db.get(User, user_id)
            if user is None:
                return 0
            devices = db.exec(select(RememberedDevice).where(RememberedDevice.user_id == user_id)).all()
            live = sum(1 for device in devices if self._live(device, user, now))
            db.exec(delete(RememberedDevice).where(col(RememberedDevice.user_id) == user_id))
            return live

    # ---- internals -----------------------------------------------------------------------------

    @staticmethod
    def _live(device: RememberedDevice, user: User, now: float) -> bool:
        return device.expires_at > now and device.factor_epoch == user.factor_epoch

    @staticmethod
    def _purge(db: Session, user: User, now: float) -> None:
        """Delete the user's expired and voided devices."""
        db.exec(
            delete(RememberedDevice).where(
                col(RememberedDevice.user_id) == user.id,
                (col(RememberedDevice.expires_at) <= now) | (col(RememberedDevice.factor_epoch) != user.factor_epoch),
            )
        )

    @staticmethod
    def purge_expired(db: Session, now: float) -> int:
        """Delete every user's expired and voided devices (the periodic purge; `_purge` does one user's at each
        sign-in); returns how many went."""
        epoch = select(User.factor_epoch).where(col(User.id) == col(RememberedDevice.user_id)).scalar_subquery()
        voided = (col(RememberedDevice.expires_at) <= now) | (col(RememberedDevice.factor_epoch) != epoch)
        return db.exec(delete(RememberedDevice).where(voided)).rowcount or 0

    @staticmethod
    def _evict_beyond_limit(db: Session, user_id: int) -> None:
        """Keep at most MAX_DEVICES_PER_USER devices, dropping the least recently used."""
        keep = select(RememberedDevice.id).where(RememberedDevice.user_id == user_id)
        keep = keep.order_by(col(RememberedDevice.last_used_at).desc(), col(RememberedDevice.id).desc())
        kept = db.exec(keep.limit(MAX_DEVICES_PER_USER)).all()
        db.exec(
            delete(RememberedDevice).where(
                col(RememberedDevice.user_id) == user_id, col(RememberedDevice.id).not_in(list(kept))
            )
        )
