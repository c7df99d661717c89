"""Email verification: a new account signs in only once the owner of its address opened a link.

Sign-up with verification on answers the same way whether or not the address has an account: the
request (after its limits and the form's checks, see accounts.py) hashes the password and only queues a
SIGNUP_JOB. The job decides, out of the request's sight: a new address gets an unverified account and a
link (24 h, single use, stored hashed: link_tokens.py); an address that has an account gets a "someone
tried to sign up with your address" mail instead, and nothing else changes.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.delivery.letters import Letter
from sms2fa_app.backend.identity.email_links import CLIENT_FIELDS, EmailLinks, LinkKind
from sms2fa_app.backend.identity.link_tokens import LinkPurpose
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import Counter, LimitReached
from sms2fa_app.backend.models import User

log = logging.getLogger("sms2fa.verification")

SIGNUP_JOB = "signup"
VERIFY_PATH = "/verify-email"
MAIL_WINDOW_SECONDS = 3600
VERIFY_LINK = LinkKind(LinkPurpose.VERIFY_EMAIL, VERIFY_PATH, Letter.VERIFY_EMAIL)


class EmailVerification:
    """Completes sign-ups out of the request, sends and checks verification links."""

    def __init__(self, links: EmailLinks, *, ttl_seconds: int, mails_per_hour_per_address: int):
        self._links = links
        self._db = links.database
        self.ttl_seconds = ttl_seconds
        self._per_address = mails_per_hour_per_address
        links.jobs.register(SIGNUP_JOB, self._complete_signup)

    def request_signup(self, email: str, password_hash: str) -> None:
        """Queue the decision about a sign-up (the request knows nothing of the address's account)."""
        payload = {"email": email, "password_hash": password_hash, **self._links.client_fields()}
        self._links.jobs.enqueue(SIGNUP_JOB, payload)

    def _complete_signup(self, payload: dict[str, Any]) -> None:
        """The job: a new, unverified account and its link; or, for a taken address, a mail to its owner."""
        email = str(payload["email"])
        fields = {name: payload[name] for name in CLIENT_FIELDS}
        if self._find(email) is None:
            try:
                with self._db.session() as tx:
                    user = User(email=email, password_hash=str(payload["password_hash"]))
                    tx.add(user)
                    tx.flush()
                    assert user.id is not None
                    self._send_link(tx, user.id, email)
                log_event(log, logging.INFO, "signup", user=user.id, verified=False)
                return
            except IntegrityError:  # the address was taken in the meantime
                pass
        self._links.notices.mail_now(Letter.SIGNUP_ATTEMPT, email, fields)
        log_event(log, logging.INFO, "signup_attempt_for_existing_account")

    def _send_link(self, tx: Session, user_id: int, email: str) -> None:
        """Issue a link in the transaction; its mail is queued once the transaction commits."""
        self._links.send(tx, VERIFY_LINK, user_id, email, self.ttl_seconds)

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

    def confirm(self, raw_token: object) -> bool:
        """Open a verification link: the address is verified (once); False for an unknown, used or expired link."""
        with self._db.session() as tx:
            link = self._links.tokens.consume(tx, LinkPurpose.VERIFY_EMAIL, raw_token)
            if link is None:
                log_event(log, logging.INFO, "verification_refused")
                return False
            user = tx.get(User, link.user_id)
            if user is None:
                return False
            if user.email_verified_at is None:
                user.email_verified_at = self._links.clock.now()
                tx.add(user)
                self._links.activity.record(tx, link.user_id, EventKind.EMAIL_VERIFIED)
        log_event(log, logging.INFO, "email_verified", user=link.user_id)
        return True

    def _find(self, email: str) -> User | None:
        with self._db.session() as db:
            return db.exec(select(User).where(User.email == email)).first()
