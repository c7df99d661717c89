"""Password reset by a single-use link (30 min, stored hashed), which never skips the second factor.

1. `request`: limits per client IP and per address are taken first; then the request only queues a
   RESET_JOB and answers the same way for every address. The job mails a link to an existing account.
2. `open` tells the page what the link needs: nothing more (2FA off), or one enrolled factor.
3. With 2FA on, `send_code` / `verify_factor` take any enrolled factor (a code texted to the number,
   an authenticator code, a recovery code, which is spent), through the same per-user lockout as every
   other guess. A right code marks the link (one conditional UPDATE).
4. `complete` sets the new password only through a link that is unused, unexpired and, with 2FA on,
   marked by a second factor, all in one conditional UPDATE in the change's transaction. That
   transaction also ends every session, voids remembered devices (the factor epoch), voids other links
   and logs the reset, whose notice is mailed once it commits.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.delivery.letters import Letter
from sms2fa_app.backend.delivery.status import stored_channel
from sms2fa_app.backend.factors.results import Factor, VerifyResult
from sms2fa_app.backend.factors.second_factors import SecondFactors
from sms2fa_app.backend.factors.sms_codes import Purpose, RequestResult
from sms2fa_app.backend.flows.account_security import revoke_everything
from sms2fa_app.backend.identity.accounts import normalize_email
from sms2fa_app.backend.identity.email_links import CLIENT_FIELDS, EmailLinks, LinkKind
from sms2fa_app.backend.identity.link_tokens import LinkPurpose, LiveLink
from sms2fa_app.backend.identity.passwords import PasswordHasher, PasswordProblem, email_words, new_password_problem
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import per_ip_and_address
from sms2fa_app.backend.models import User, utcnow

log = logging.getLogger("sms2fa.password_reset")

RESET_JOB = "reset_request"
RESET_PATH = "/reset-password"
REQUEST_WINDOW_SECONDS = 3600
RESET_LINK = LinkKind(LinkPurpose.RESET_PASSWORD, RESET_PATH, Letter.RESET_LINK)


@dataclass(frozen=True)
class ResetPolicy:
    """The link's lifetime and the request limits (from the settings)."""

    ttl_seconds: int
    per_hour_per_address: int
    per_hour_per_ip: int


@dataclass(frozen=True)
class ResetLink:
    """What the reset page needs to know about a live link."""

    link: LiveLink
    needs_second_factor: bool  # 2FA is on and no factor was presented for this link yet
    phone_ending: str
    available: frozenset[Factor]  # the factors the link takes (SecondFactors.available: none with 2FA off)


class ResetOutcome(enum.Enum):
    """How setting the new password ended."""

    DONE = "done"
    INVALID_LINK = "invalid_link"  # unknown, used or expired
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    PASSWORD_REFUSED = "password_refused"


@dataclass(frozen=True)
class ResetResult:
    """The outcome; the password's problem when it was refused."""

    outcome: ResetOutcome
    problem: PasswordProblem | None = None


class PasswordResets:
    """Reset links: request, open, second factor, new password."""

    def __init__(
        self,
        links: EmailLinks,
        hasher: PasswordHasher,
        sessions: SessionStore,
        factors: SecondFactors,
        *,
        policy: ResetPolicy,
    ):
        self._links = links
        self._db = links.database
        self._tokens = links.tokens
        self._hasher = hasher
        self._sessions = sessions
        self._factors = factors
        self.policy = policy
        links.jobs.register(RESET_JOB, self._issue)

    # ---- 1. the request ----------------------------------------------------------------------------

    def request(self, email: str, client_ip: str = "") -> int:
        """Queue a reset link for the address, whoever owns it; returns 0, or the wait when a limit is full."""
        email = normalize_email(email)
        counters = per_ip_and_address(
            "reset",
            client_ip,
            self._links.address_key(email),
            self.policy.per_hour_per_ip,
            self.policy.per_hour_per_address,
            REQUEST_WINDOW_SECONDS,
        )
        reached = self._links.limiter.check_and_hit(counters)
        if reached is not None:
            scope = "ip" if reached.counter is counters[0] else "address"
            log_event(log, logging.WARNING, "reset_throttled", ip=client_ip, scope=scope)
            return reached.retry_after_seconds
        self._links.jobs.enqueue(RESET_JOB, {"email": email, **self._links.client_fields()})
        return 0

    def _issue(self, payload: dict[str, Any]) -> None:
        """The job: a link for an existing account; nothing for an unknown address."""
        with self._db.session() as tx:
            user = tx.exec(select(User).where(User.email == str(payload["email"]))).first()
            if user is None or user.id is None:
                return
            fields = {name: payload[name] for name in CLIENT_FIELDS}
            self._links.send(tx, RESET_LINK, user.id, user.email, self.policy.ttl_seconds, **fields)
        log_event(log, logging.INFO, "reset_link_issued", user=user.id)

    # ---- 2. and 3. the link and the second factor ---------------------------------------------------

    def open(self, raw_token: object) -> ResetLink | None:
        """What a live link needs next; None for an unknown, used or expired one. Uses nothing."""
        link = self._tokens.peek(LinkPurpose.RESET_PASSWORD, raw_token)
        if link is None:
            return None
        with self._db.session() as db:
            user = db.get(User, link.user_id)
        if user is None:
            return None
        available = self._factors.available(link.user_id, Purpose.RESET)
        return ResetLink(
            link=link,
            needs_second_factor=bool(available) and not link.second_factor_done,
            phone_ending=(user.phone_number or "")[-4:],
            available=available,
        )

    def send_code(self, raw_token: object, client_ip: str = "", proof: str = "") -> RequestResult | None:
        """Text a code to the account's number for this link (`proof`: a proof of work, needed under pressure);
        None when the link is not live or needs none."""
        opened = self.open(raw_token)
        if opened is None or not opened.needs_second_factor:
            return None
        with self._db.session() as db:
            user = db.get(User, opened.link.user_id)
        if user is None or not user.phone_number:
            return None
        return self._factors.otp.request_code(
            purpose=Purpose.RESET,
            user_id=opened.link.user_id,
            session_id=opened.link.token_id,  # the link is the binding: no login session exists here
            phone=user.phone_number,
            client_ip=client_ip,
            channel=stored_channel(user.phone_channel),  # a landline is called
            proof=proof,
            user_locale=user.locale,
        )

    def verify_factor(self, raw_token: object, factor: Factor, code: str) -> VerifyResult | None:
        """Check one enrolled factor (through the shared lockout); a right one marks the link. None when the
        link is not live or needs no factor."""
        opened = self.open(raw_token)
        if opened is None or not opened.needs_second_factor:
            return None
        link = opened.link
        result = self._factors.verify(link.user_id, factor, code, purpose=Purpose.RESET, binding=link.token_id)
        if result.ok and not self._tokens.mark_second_factor(link):
            return None  # the link expired or was used meanwhile
        return result

    # ---- 4. the new password ------------------------------------------------------------------------

    def complete(self, raw_token: object, password: str, confirmation: str) -> ResetResult:
        """Set the new password through the link (see the module doc for what else happens)."""
        opened = self.open(raw_token)
        if opened is None:
            return ResetResult(ResetOutcome.INVALID_LINK)
        if opened.needs_second_factor:
            return ResetResult(ResetOutcome.SECOND_FACTOR_REQUIRED)
        with self._db.session() as db:
            user = db.get(User, opened.link.user_id)
        if user is None:
            return ResetResult(ResetOutcome.INVALID_LINK)
        problem = new_password_problem(password, confirmation, email_words(user.email))
        if problem is not None:
            return ResetResult(ResetOutcome.PASSWORD_REFUSED, problem)
        password_hash = self._hasher.hash(password)
        with self._db.session() as tx:
            user = tx.get(User, opened.link.user_id)
            if user is None:
                return ResetResult(ResetOutcome.INVALID_LINK)
            link = self._tokens.consume(
                tx, LinkPurpose.RESET_PASSWORD, raw_token, require_second_factor=user.is_two_factor_enabled
            )
            if link is None:  # used, expired, or 2FA turned on meanwhile: nothing changes
                return ResetResult(ResetOutcome.INVALID_LINK)
            user.password_hash = password_hash
            user.email_verified_at = user.email_verified_at or self._links.clock.now()  # the mailbox answered
            user.updated_at = utcnow()
            tx.add(user)
            revoked = revoke_everything(tx, self._sessions, self._links.activity, user, EventKind.PASSWORD_RESET)
            self._tokens.void_for_user(tx, link.user_id)  # and every other emailed link
        log_event(log, logging.INFO, "password_reset", user=link.user_id, sessions_ended=revoked.sessions_ended)
        return ResetResult(ResetOutcome.DONE)
