"""Email verification: a new account signs in only once the owner of its address opened a link.

Sign-up with verification on answers the same way whether or not the address has an account: the
request (after its limits and the form's checks, see accounts.py) hashes the password and only queues a
SIGNUP_JOB. The job decides, out of the request's sight: a new address gets an unverified account and a
link (24 h, single use, stored hashed: link_tokens.py); an address whose account is still pending (never
confirmed, never used) has it replaced (the new password; its earlier links void), since whoever signed
up first may not own the mailbox; a confirmed account gets a "someone tried to sign up with your address" mail
instead, and nothing else changes.

Login never says that an account waits for its link (accounts.py answers as for a wrong password): the
right password only queues a RESEND_JOB, which mails a new link within the per-address limit. A pending
account expires `pending_ttl_seconds` after its last link was mailed (`purge_expired_unverified`, run
lazily by both jobs and callable by a periodic purge), so an address nobody confirms is free again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.delivery.letters import Letter
from sms2fa_app.backend.identity.deletion import delete_account_rows
from sms2fa_app.backend.identity.email_links import CLIENT_FIELDS, EmailLinks, LinkKind
from sms2fa_app.backend.identity.link_tokens import LinkPurpose, LinkRef
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import Counter, LimitReached
from sms2fa_app.backend.models import LinkToken, SecurityEvent, User, utcnow

log = logging.getLogger("sms2fa.verification")

SIGNUP_JOB = "signup"
RESEND_JOB = "verification_resend"
VERIFY_PATH = "/verify-email"
MAIL_WINDOW_SECONDS = 3600
VERIFY_LINK = LinkKind(LinkPurpose.VERIFY_EMAIL, VERIFY_PATH, Letter.VERIFY_EMAIL)


# A pending account: its address was never confirmed and it was never used (no line of security activity: made
# with verification on, it cannot have signed in). An account made while verification was off, and used, is not.
_PENDING = (
    col(User.email_verified_at).is_(None),
    ~exists().where(col(SecurityEvent.user_id) == col(User.id)),
)


class EmailVerification:
    """Completes sign-ups out of the request, sends and checks verification links, expires pending accounts."""

    def __init__(
        self,
        links: EmailLinks,
        *,
        ttl_seconds: int,
        mails_per_hour_per_address: int,
        pending_ttl_seconds: int = 48 * 3600,
        required: bool = True,
    ):
        """`required` False (verification off): accounts are made verified or not at all here, and none expires."""
        self._links = links
        self._db = links.database
        self.ttl_seconds = ttl_seconds
        self._per_address = mails_per_hour_per_address
        self._pending_ttl = pending_ttl_seconds
        self._required = required
        links.jobs.register(SIGNUP_JOB, self._complete_signup)
        links.jobs.register(RESEND_JOB, self._resend_job)

    def request_signup(self, email: str, password_hash: str) -> None:
        """Queue the decision about a sign-up (the request knows nothing of the address's account)."""
        payload = {"email": email, "password_hash": password_hash, **self._links.client_fields()}
        self._links.jobs.enqueue(SIGNUP_JOB, payload)

    def request_resend(self, user_id: int) -> None:
        """Queue a new link for an unverified account (its right password was typed): nothing in the answer."""
        self._links.jobs.enqueue(RESEND_JOB, {"user_id": int(user_id)})

    def _complete_signup(self, payload: dict[str, Any]) -> None:
        """The job: a new (or replaced) unverified account and its link; for a confirmed one, a mail to its owner."""
        email, password_hash = str(payload["email"]), str(payload["password_hash"])
        self.purge_expired_unverified(self._links.clock.now())
        try:
            with self._db.session() as tx:
                user = tx.exec(select(User).where(User.email == email)).first()
                if user is None or tx.exec(select(User.id).where(User.id == user.id, *_PENDING)).first():
                    user_id = self._pending_account(tx, user, email, password_hash)
                    log_event(log, logging.INFO, "signup", user=user_id, verified=False, replaced=user is not None)
                    return
        except IntegrityError:  # the address was taken in the meantime
            pass
        self._links.notices.mail_now(Letter.SIGNUP_ATTEMPT, email, {name: payload[name] for name in CLIENT_FIELDS})
        log_event(log, logging.INFO, "signup_attempt_for_existing_account")

    def _pending_account(self, tx: Session, pending: User | None, email: str, password_hash: str) -> int:
        """A new unverified account, or the pending one with the new password (its earlier links void); its link."""
        user = pending or User(email=email, password_hash=password_hash)
        if pending is not None:
            assert pending.id is not None
            self._links.tokens.void_for_user(tx, pending.id)
            pending.password_hash, pending.updated_at = password_hash, utcnow()
        tx.add(user)
        tx.flush()
        assert user.id is not None
        self._send_link(tx, user.id, email)
        return user.id

    def _send_link(self, tx: Session, user_id: int, email: str) -> None:
        """Issue a link in the transaction; its mail is queued once the transaction commits."""
        self._links.send(tx, VERIFY_LINK, user_id, email, self.ttl_seconds)

    def _resend_job(self, payload: dict[str, Any]) -> None:
        """The job behind a login with the right password for an unverified account: a new link, unless expired."""
        self.purge_expired_unverified(self._links.clock.now())
        self.resend(int(payload["user_id"]))

    def resend(self, user_id: int) -> LimitReached | None:
        """A new link for an unverified account (the old one stops working), within the per-address limit."""
        with self._db.session() as tx:
            user = tx.get(User, int(user_id))
            if user is None or user.email_verified_at is not None:
                return None
            counter = Counter(
                f"verify:mail:{self._links.address_key(user.email)}",
                self._per_address,
                MAIL_WINDOW_SECONDS,
            )
            reached = self._links.limiter.check_and_hit([counter])
            if reached is None:
                self._send_link(tx, int(user_id), user.email)
        log_event(log, logging.INFO, "verification_resent", user=user_id, refused=reached is not None)
        return reached

    def purge_expired_unverified(self, now: float) -> int:
        """Delete the unverified accounts whose last link was mailed more than the pending lifetime before `now`;
        returns how many went. Accounts that never had a link or were used (made with verification off) stay."""
        if not self._required:
            return 0
        last_link = (
            select(LinkToken.user_id, func.max(LinkToken.created_at).label("mailed_at"))
            .where(col(LinkToken.purpose) == LinkPurpose.VERIFY_EMAIL.value)
            .group_by(col(LinkToken.user_id))
            .subquery()
        )
        with self._db.session() as tx:
            expired = tx.exec(
                select(User.id)
                .join(last_link, last_link.c.user_id == User.id)
                .where(*_PENDING, last_link.c.mailed_at < now - self._pending_ttl)
            ).all()
            for user_id in expired:
                delete_account_rows(tx, int(user_id or 0))
        if expired:
            log_event(log, logging.INFO, "unverified_accounts_purged", rows=len(expired))
        return len(expired)

    def confirm(self, link: LinkRef) -> bool:
        """Open a verification link (its token or digest): the address is verified (once); False for an unknown,
        used or expired link."""
        with self._db.session() as tx:
            used = self._links.tokens.consume(tx, LinkPurpose.VERIFY_EMAIL, link)
            if used is None:
                log_event(log, logging.INFO, "verification_refused")
                return False
            user = tx.get(User, used.user_id)
            if user is None:
                return False
            if user.email_verified_at is None:
                user.email_verified_at = self._links.clock.now()
                tx.add(user)
                self._links.activity.record(tx, used.user_id, EventKind.EMAIL_VERIFIED)
        log_event(log, logging.INFO, "email_verified", user=used.user_id)
        return True
