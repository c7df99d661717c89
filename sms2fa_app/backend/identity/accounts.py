"""Sign-up and password login with failed-login throttling; typed results, no UI strings.

Sign-up takes its limits (per client IP and per address) before anything else is decided, then checks
the form, then hashes the password. With email verification on (the default) it then only queues the
rest (verification.py): the answer and the work are the same whether or not the address has an account.
Login, likewise, answers the right password for an address never confirmed as it answers a wrong one.

Failed logins are counted per account *and network* (infra/network.py: an IPv4 /24, an IPv6 /64) and per
client IP, each with a hard limit; and per account across every network, without a limit: past a
threshold, every further attempt on the account needs a proof of work (infra/pow.py). So a stranger
failing from many networks slows down (each attempt costs work) but never locks the owner out: the
owner's network has its own count, and the owner's browser solves the proof.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.identity.email_addresses import MAX_EMAIL_LENGTH, EmailProblem, canonical_email
from sms2fa_app.backend.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordHasher,
    PasswordProblem,
    email_words,
    password_problem,
)
from sms2fa_app.backend.identity.sessions import IssuedSession, SessionStore
from sms2fa_app.backend.identity.verification import EmailVerification
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import Counter, ProofNeeded, Refusal, WindowLimiter, per_ip_and_address
from sms2fa_app.backend.infra.network import ip_scope, network_of
from sms2fa_app.backend.infra.pow import ProofOfWork
from sms2fa_app.backend.models import User, utcnow

log = logging.getLogger("sms2fa.accounts")

SIGNUP_WINDOW_SECONDS = 3600


class SignupProblem(enum.Enum):
    """Why a sign-up is refused."""

    EMAIL_MISSING = "email_missing"
    EMAIL_INVALID = "email_invalid"
    PASSWORD_EMPTY = "password_empty"
    PASSWORD_TOO_SHORT = "password_too_short"
    PASSWORD_TOO_LONG = "password_too_long"
    PASSWORD_TOO_COMMON = "password_too_common"
    PASSWORDS_DIFFER = "passwords_differ"
    EMAIL_TAKEN = "email_taken"
    TOO_MANY_SIGNUPS = "too_many_signups"


class LoginOutcome(enum.Enum):
    """How a password login ended."""

    AUTHENTICATED = "authenticated"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    MISSING_FIELDS = "missing_fields"
    THROTTLED = "throttled"
    PROOF_REQUIRED = "proof_required"  # under pressure: post a solved proof of work with the attempt


@dataclass(frozen=True)
class SignupResult:
    """A new account's session (verification off), "check your email" (verification on), or the problem."""

    problem: SignupProblem | None = None  # the first of `problems`
    issued: IssuedSession | None = None
    retry_after_seconds: int = 0
    problems: tuple[SignupProblem, ...] = ()  # every problem of the form, one per field at most

    @property
    def check_email(self) -> bool:
        """True when the answer is "check your email to finish signing up" (whatever the address)."""
        return self.problem is None and self.issued is None


@dataclass(frozen=True)
class LoginResult:
    """The outcome, the session when one was started, and the wait when throttled."""

    outcome: LoginOutcome
    issued: IssuedSession | None = None
    retry_after_seconds: int = 0


_PASSWORD_TO_SIGNUP = {
    PasswordProblem.EMPTY: SignupProblem.PASSWORD_EMPTY,
    PasswordProblem.TOO_SHORT: SignupProblem.PASSWORD_TOO_SHORT,
    PasswordProblem.TOO_LONG: SignupProblem.PASSWORD_TOO_LONG,
    PasswordProblem.TOO_COMMON: SignupProblem.PASSWORD_TOO_COMMON,
}
_EMAIL_TO_SIGNUP = {
    EmailProblem.MISSING: SignupProblem.EMAIL_MISSING,
    EmailProblem.INVALID: SignupProblem.EMAIL_INVALID,
}


def normalize_email(email: str) -> str:
    """The canonical address (email_addresses.py); for input that is no address, the input trimmed and
    lower-cased (it then matches no account, and still keys its own limits)."""
    canonical = canonical_email(email)
    return canonical if isinstance(canonical, str) else str(email).strip().lower()[:1024]


@dataclass(frozen=True)
class LoginThrottlePolicy:
    """Failed-login limits per account and network and per client IP within a window, and the failures per
    account (any network) and per IP after which an attempt needs a proof of work (0 = never)."""

    window_seconds: int
    max_failures_per_account: int
    max_failures_per_ip: int
    signups_per_hour_per_ip: int = 10
    signups_per_hour_per_address: int = 3
    pow_after_failures_per_account: int = 0
    pow_after_failures_per_ip: int = 0


class Accounts:
    """Creates accounts and checks passwords."""

    def __init__(
        self,
        database: Database,
        hasher: PasswordHasher,
        sessions: SessionStore,
        limiter: WindowLimiter,
        throttle: LoginThrottlePolicy,
        secret_key: str,
        verification: EmailVerification | None = None,
        pow: ProofOfWork | None = None,
    ):
        """`verification` None: sign-up signs in at once and login needs no verified address."""
        self._db = database
        self._hasher = hasher
        self._sessions = sessions
        self._limiter = limiter
        self._throttle = throttle
        self._secret = secret_key
        self._verification = verification
        self._pow = pow

    def sign_up(
        self, email: str, password: str, confirmation: str, client_ip: str = "", user_agent: str = ""
    ) -> SignupResult:
        """Limits first, then the form; then "check your email" (verification on: the rest is queued) or a
        new signed-in account (verification off). Nothing changes on a problem."""
        email = normalize_email(email)
        signups = per_ip_and_address(
            "signup",
            client_ip,
            keyed_digest(self._secret, "email", email),
            self._throttle.signups_per_hour_per_ip,
            self._throttle.signups_per_hour_per_address,
            SIGNUP_WINDOW_SECONDS,
        )
        if (reached := self._limiter.check_and_hit(signups)) is not None:
            log_event(
                log,
                logging.WARNING,
                "signup_throttled",
                ip=client_ip,
                scope="ip" if reached.counter is signups[0] else "address",
            )
            metrics.count_refusal("signup_ip" if reached.counter is signups[0] else "signup_address")
            return SignupResult(SignupProblem.TOO_MANY_SIGNUPS, retry_after_seconds=reached.retry_after_seconds)
        problems = self._signup_problems(email, password, confirmation)
        if problems:
            return SignupResult(problem=problems[0], problems=problems)
        password_hash = self._hasher.hash(password)  # in every branch: the answer costs the same
        if self._verification is not None:
            self._verification.request_signup(email, password_hash)
            return SignupResult()
        return self._create_signed_in(email, password_hash, client_ip, user_agent)

    @staticmethod
    def _signup_problems(email: str, password: str, confirmation: str) -> tuple[SignupProblem, ...]:
        """Every field's problem at once (email, password, confirmation), in the form's order."""
        canonical = canonical_email(email)
        problems = [_EMAIL_TO_SIGNUP[canonical]] if isinstance(canonical, EmailProblem) else []
        words = email_words(canonical) if isinstance(canonical, str) else ()
        if (weak := password_problem(password, words)) is not None:
            problems.append(_PASSWORD_TO_SIGNUP[weak])
        if password != confirmation:
            problems.append(SignupProblem.PASSWORDS_DIFFER)
        return tuple(problems)

    def _create_signed_in(self, email: str, password_hash: str, client_ip: str, user_agent: str) -> SignupResult:
        """Verification off: the account is made and signed in at once (a taken address says so)."""
        if self.find_by_email(email) is not None:
            return SignupResult(problem=SignupProblem.EMAIL_TAKEN)
        user = User(email=email, password_hash=password_hash)
        try:
            with self._db.session() as db:
                db.add(user)
                db.flush()
                user_id = user.id
        except IntegrityError:
            return SignupResult(problem=SignupProblem.EMAIL_TAKEN)
        assert user_id is not None
        log_event(log, logging.INFO, "signup", user=user_id)
        return SignupResult(issued=self._sessions.create(user_id, BY_PASSWORD, client_ip, user_agent))

    def _counters(self, email: str, client_ip: str, pressure: bool) -> list[Counter]:
        """This account from this network (limited), this IP (limited), this account anywhere (pressure only)."""
        policy, window = self._throttle, self._throttle.window_seconds
        account = f"login:fail:acct:{keyed_digest(self._secret, 'email', email)}"
        return [
            Counter(f"{account}:net:{network_of(client_ip)}", policy.max_failures_per_account, window),
            self._ip_counter(client_ip, pow_at=policy.pow_after_failures_per_ip if pressure else 0),
            Counter(account, 0, window, pow_at=policy.pow_after_failures_per_account if pressure else 0),
        ]

    def _ip_counter(self, client_ip: str, pow_at: int = 0) -> Counter:
        """Failed sign-ins from one client IP, whatever the way in (password, passkey)."""
        policy = self._throttle
        return Counter(
            f"login:fail:ip:{ip_scope(client_ip)}", policy.max_failures_per_ip, policy.window_seconds, pow_at
        )

    def reserve_ip_attempt(self, client_ip: str, proof: str = "") -> tuple[LoginResult | None, str]:
        """A failed-sign-in slot of this IP, taken before an anonymous credential (a passkey) is checked: a
        failure until its signature verifies, so forging one costs the forger's IP, never the account it names.
        Returns the refusal (THROTTLED with the wait; PROOF_REQUIRED under pressure without an unspent `proof`)
        or None, and the slot, for `release_ip_attempt`."""
        counters = [self._ip_counter(client_ip, pow_at=self._throttle.pow_after_failures_per_ip)]
        checked = self._pow.check(proof) if self._pow is not None and proof else None
        reached, slot = self._limiter.reserve(counters, checked)
        return self._refusal(reached, client_ip), slot

    def release_ip_attempt(self, client_ip: str, slot: str) -> None:
        """Give back a slot of `reserve_ip_attempt`."""
        self._limiter.release([self._ip_counter(client_ip)], slot)

    def _refusal(self, reached: Refusal | None, client_ip: str) -> LoginResult | None:
        """A refused failed-sign-in slot as the login's answer (logged and counted), None when it was taken."""
        if reached is None:
            return None
        by_ip = reached.counter.key == self._ip_counter(client_ip).key
        if isinstance(reached, ProofNeeded):
            scope = "ip" if by_ip else "account"
            log_event(log, logging.INFO, "login_proof_required", scope=scope, network=network_of(client_ip))
            return LoginResult(LoginOutcome.PROOF_REQUIRED)
        scope = "ip" if by_ip else "account_network"  # the account-anywhere count only asks for proofs
        log_event(log, logging.WARNING, "login_throttled", scope=scope, network=network_of(client_ip))
        metrics.count_refusal("login_account" if scope == "account_network" else "login_ip")
        return LoginResult(LoginOutcome.THROTTLED, retry_after_seconds=reached.retry_after_seconds)

    def _check_credentials(
        self, email: str, password: str, client_ip: str, proof: str | None = None
    ) -> User | LoginResult:
        """The user when the password matches; otherwise the refusal. A throttle slot is taken before hashing.

        `proof` is the posted proof-of-work payload; None means the caller is already signed in
        (re-authentication), whose attempts count but never need a proof."""
        counters = self._counters(email, client_ip, pressure=proof is not None)
        checked = self._pow.check(proof) if self._pow is not None and proof else None
        reached, attempt = self._limiter.reserve(counters, checked)  # a failure until the password matches
        if (refused := self._refusal(reached, client_ip)) is not None:
            return refused
        user = self.find_by_email(email) if len(email) <= MAX_EMAIL_LENGTH else None
        too_long = len(password) > MAX_PASSWORD_LENGTH
        stored_hash = user.password_hash if user is not None and not too_long else None
        if not self._hasher.verify(password[:MAX_PASSWORD_LENGTH], stored_hash) or user is None:
            log_event(log, logging.INFO, "login_failed", known_account=user is not None)
            return LoginResult(LoginOutcome.INVALID_CREDENTIALS)
        if (refused := self.sign_in_refusal(user)) is not None:
            return LoginResult(refused)  # the failure stays counted, as a wrong password's
        self._limiter.clear_and_release(counters[:1], counters[1:], attempt)
        return user

    def log_in(
        self, email: str, password: str, client_ip: str = "", user_agent: str = "", proof: str = ""
    ) -> LoginResult:
        """Check the password (after the throttle and, under pressure, the proof of work) and start a session
        at the right stage."""
        result = self._log_in(email, password, client_ip, user_agent, proof)
        metrics.count_login(result.outcome.value)
        return result

    def _log_in(self, email: str, password: str, client_ip: str, user_agent: str, proof: str) -> LoginResult:
        email = normalize_email(email)
        if not email or not password:
            return LoginResult(LoginOutcome.MISSING_FIELDS)
        checked = self._check_credentials(email, password, client_ip, proof or "")
        if isinstance(checked, LoginResult):
            return checked
        user = checked
        assert user.id is not None
        if user.is_two_factor_enabled:
            issued = self._sessions.create(user.id, BY_PASSWORD, client_ip, user_agent, complete=False)
            log_event(log, logging.INFO, "login_password_ok", user=user.id, second_factor="required")
            return LoginResult(LoginOutcome.SECOND_FACTOR_REQUIRED, issued)
        issued = self._sessions.create(user.id, BY_PASSWORD, client_ip, user_agent)
        log_event(log, logging.INFO, "login", user=user.id)
        return LoginResult(LoginOutcome.AUTHENTICATED, issued)

    def sign_in_refusal(self, user: User | None) -> LoginOutcome | None:
        """The one account check of every way in (the password step, a passkey on /login; a remembered device
        and the second factor only follow the password step): None when `user` may get a session, else
        INVALID_CREDENTIALS, for an account that is gone or an address never confirmed.

        Whoever proved the password may not own the mailbox, and "confirm first" would tell them the address had
        no account: an unconfirmed address answers as a wrong password does, and its owner gets a new link by
        mail (within the per-address mail limit)."""
        if user is None or user.id is None:
            return LoginOutcome.INVALID_CREDENTIALS
        if self._verification is not None and user.email_verified_at is None:
            self._verification.request_resend(user.id)
            log_event(log, logging.INFO, "login_refused", user=user.id, reason="email_not_verified")
            return LoginOutcome.INVALID_CREDENTIALS
        return None

    def confirm_password(self, user_id: int, password: str, client_ip: str = "") -> LoginResult:
        """Re-authentication: outcome AUTHENTICATED when the user's password matches, under the same throttle."""
        user = self.get(user_id)
        if user is None:
            return LoginResult(LoginOutcome.INVALID_CREDENTIALS)
        if not password:
            return LoginResult(LoginOutcome.MISSING_FIELDS)
        checked = self._check_credentials(user.email, password, client_ip)
        return checked if isinstance(checked, LoginResult) else LoginResult(LoginOutcome.AUTHENTICATED)

    def find_by_email(self, email: str) -> User | None:
        """The account for a normalized email."""
        with self._db.session() as db:
            return db.exec(select(User).where(User.email == email)).first()

    def get(self, user_id: int) -> User | None:
        """The account by id."""
        with self._db.session() as db:
            return db.get(User, user_id)

    def set_preferred_factor(self, user_id: int, factor: str) -> None:
        """Remember the factor the user used last ("sms", "totp" or "passkey")."""
        with self._db.session() as db:
            prefer_factor(db, user_id, factor)

    def set_phone_channel(self, user_id: int, channel: str, db: Session | None = None) -> bool:
        """How the user's codes reach their number: "sms" or "whatsapp" (users.phone_channel). False, changing
        nothing, for any other value, no number, or a number whose codes are spoken (a landline: "voice"). With
        `db`, in that transaction (a factor change's)."""
        if channel not in CHOOSABLE_CHANNELS:
            return False
        with self._db.within(db) as tx:
            changed = tx.exec(
                update(User)
                .where(col(User.id) == int(user_id), col(User.phone_number).is_not(None))
                .where(col(User.phone_channel).in_(CHOOSABLE_CHANNELS))
                .values(phone_channel=channel, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return bool(changed.rowcount)

    def update(self, user: User) -> None:
        """Save changes to an account, stamping updated_at."""
        user.updated_at = utcnow()
        with self._db.session() as db:
            db.add(user)


PREFERABLE_FACTORS = ("sms", "totp", "passkey")  # values of User.preferred_factor
CHOOSABLE_CHANNELS = ("sms", "whatsapp")  # values of User.phone_channel the user picks ("voice": Lookup's landline)
BASE_FACTOR = "sms"  # every account with 2FA on has it


def prefer_factor(db: Session, user_id: int, factor: str) -> None:
    """Record, in the caller's transaction, the factor the user used last; ValueError for anything else."""
    value = str(factor)
    if value not in PREFERABLE_FACTORS:
        raise ValueError(f"not a preferable factor: {value!r}")
    db.exec(
        update(User)
        .where(col(User.id) == int(user_id), col(User.preferred_factor) != value)
        .values(preferred_factor=value)
        .execution_options(synchronize_session=False)
    )


def forget_preference(db: Session, user_id: int, factor: str) -> None:
    """In the caller's transaction: a user whose preferred factor was `factor` (just removed) prefers SMS again."""
    db.exec(
        update(User)
        .where(col(User.id) == int(user_id), col(User.preferred_factor) == str(factor))
        .values(preferred_factor=BASE_FACTOR)
        .execution_options(synchronize_session=False)
    )
