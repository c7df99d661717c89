"""Single-use links sent by email: the one mechanism behind email verification and password reset.

A link carries a random 256-bit token; the database keeps only its SHA-256, the user, the purpose and
the times. Callers name a link by its token or by its digest (a page's state keeps only the digest:
state/link_address.py). Issuing a link voids the user's earlier unused links of the same purpose. A link
is used with ONE conditional UPDATE (unused, unexpired, right purpose; for a reset with 2FA on, also after
a second factor), so two clicks, two tabs or two racing requests use it at most once. An unknown, used
and expired link all look the same to the caller.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import TokenDigest, lookup_digest, new_token, token_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import LinkToken


class LinkPurpose(enum.StrEnum):
    """What a link does (values are stored)."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    CANCEL_2FA_RESET = "cancel_reset"  # cancels an admin's pending 2FA reset (admin/resets.py)


@dataclass(frozen=True)
class LiveLink:
    """An unused, unexpired link."""

    token_id: int
    user_id: int
    expires_at: float
    second_factor_done: bool


LinkRef = str | TokenDigest | None  # a link's raw token (from the mail) or its digest (kept by a page's state)


class LinkTokens:
    """Issues, reads and uses single-use link tokens in the SQL database."""

    def __init__(self, database: Database, clock: Clock):
        self._db = database
        self._clock = clock

    def issue(self, user_id: int, purpose: LinkPurpose, ttl_seconds: int, db: Session | None = None) -> str:
        """A new link token for the user (kept by no one but the mail); the user's earlier unused links of
        this purpose stop working. With `db`, in that transaction."""
        token = new_token()
        now = self._clock.now()
        with self._db.within(db) as tx:
            self.void_for_user(tx, user_id, purpose)
            tx.add(
                LinkToken(
                    user_id=int(user_id),
                    purpose=purpose.value,
                    token_digest=token_digest(token),
                    created_at=now,
                    expires_at=now + ttl_seconds,
                )
            )
        return token

    def peek(self, purpose: LinkPurpose, link: LinkRef) -> LiveLink | None:
        """The link behind a token (or its digest) if it is unused and unexpired; uses nothing."""
        digest = lookup_digest(link)
        if digest is None:
            return None
        with self._db.session() as db:
            row = db.exec(select(LinkToken).where(*self._usable(purpose, digest))).first()
            if row is None or row.id is None:
                return None
            return LiveLink(row.id, row.user_id, row.expires_at, row.second_factor_at is not None)

    def mark_second_factor(self, link: LiveLink) -> bool:
        """Record that a second factor was presented for this (still usable) link."""
        with self._db.session() as db:
            marked = db.exec(
                update(LinkToken)
                .where(col(LinkToken.id) == link.token_id, *self._live())
                .values(second_factor_at=self._clock.now())
                .execution_options(synchronize_session=False)
            )
            return (marked.rowcount or 0) == 1

    def consume(
        self, tx: Session, purpose: LinkPurpose, link: LinkRef, *, require_second_factor: bool = False
    ) -> LiveLink | None:
        """Use the link (named by its token or digest) once, in the caller's transaction; None when it is unknown,
        used, expired, or (with `require_second_factor`) no second factor was presented for it."""
        digest = lookup_digest(link)
        if digest is None:
            return None
        conditions = list(self._usable(purpose, digest))
        if require_second_factor:
            conditions.append(col(LinkToken.second_factor_at).is_not(None))
        row = tx.exec(select(LinkToken).where(*conditions)).first()
        if row is None or row.id is None:
            return None
        used = tx.exec(
            update(LinkToken)
            .where(col(LinkToken.id) == row.id, *self._live())
            .values(used_at=self._clock.now())
            .execution_options(synchronize_session=False)
        )
        if (used.rowcount or 0) != 1:
            return None
        return LiveLink(row.id, row.user_id, row.expires_at, row.second_factor_at is not None)

    @staticmethod
    def void_for_user(tx: Session, user_id: int, purpose: LinkPurpose | None = None) -> None:
        """Delete the user's unused links (of one purpose, or all), in the caller's transaction."""
        query = delete(LinkToken).where(col(LinkToken.user_id) == int(user_id), col(LinkToken.used_at).is_(None))
        if purpose is not None:
            query = query.where(col(LinkToken.purpose) == purpose.value)
        tx.exec(query)

    @staticmethod
    def purge_dead(tx: Session, now: float) -> int:
        """Delete every used or expired link, in the caller's transaction (the periodic purge): such a link and an
        unknown one look the same to the caller already. Returns how many went.

        An unused verification link stays after it expires: it records when a pending account was last mailed,
        which is when that account expires (verification.purge_expired_unverified deletes both together)."""
        expired = (col(LinkToken.expires_at) <= now) & (col(LinkToken.purpose) != LinkPurpose.VERIFY_EMAIL.value)
        dead = col(LinkToken.used_at).is_not(None) | expired
        return tx.exec(delete(LinkToken).where(dead)).rowcount or 0

    def _live(self) -> tuple:
        return (col(LinkToken.used_at).is_(None), col(LinkToken.expires_at) > self._clock.now())

    def _usable(self, purpose: LinkPurpose, digest: str) -> tuple:
        return (
            col(LinkToken.token_digest) == digest,
            col(LinkToken.purpose) == purpose.value,
            *self._live(),
        )
