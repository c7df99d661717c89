"""Sign-up and password login with failed-login throttling; typed results, no UI strings."""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from sms2fa_app.backend.identity.passwords import MAX_PASSWORD_LENGTH, PasswordHasher, PasswordProblem, password_problem
from sms2fa_app.backend.identity.sessions import IssuedSession, SessionStore, Stage
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.crypto import keyed_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.limits import Counter, WindowLimiter, ip_scope
from sms2fa_app.backend.models import User, utcnow

log = logging.getLogger("sms2fa.accounts")

MAX_EMAIL_LENGTH = 254
_EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


class SignupProblem(enum.Enum):
    """Why a sign-up is refused."""

    EMAIL_MISSING = "email_missing"
    EMAIL_INVALID = "email_invalid"
    PASSWORD_EMPTY = "password_empty"
    PASSWORD_TOO_SHORT = "password_too_short"
    PASSWORD_TOO_LONG = "password_too_long"
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


@dataclass(frozen=True)
class SignupResult:
    """A new account's session, or the problem."""

    problem: SignupProblem | None = None
    issued: IssuedSession | None = None


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
}


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased, so one address is one account whatever its letter case."""
    return email.strip().lower()


def email_problem(email: str) -> SignupProblem | None:
    """Whether a normalized email is acceptable."""
    if not email:
        return SignupProblem.EMAIL_MISSING
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_PATTERN.match(email):
        return SignupProblem.EMAIL_INVALID
    return None


@dataclass(frozen=True)
class LoginThrottlePolicy:
    """Failed-login limits per account and per client IP within a window."""

    window_seconds: int
    max_failures_per_account: int
    max_failures_per_ip: int
    signups_per_hour_per_ip: int = 10


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
    ):
        self._db = database
        self._hasher = hasher
        self._sessions = sessions
        self._limiter = limiter
        self._throttle = throttle
        self._secret = secret_key

    def sign_up(
        self, email: str, password: str, confirmation: str, client_ip: str = "", user_agent: str = ""
    ) -> SignupResult:
        """Create an account and sign it in, or say what is wrong; nothing changes on a problem."""
        email = normalize_email(email)
        problem = email_problem(email)
        if problem is None and (weak := password_problem(password)) is not None:
            problem = _PASSWORD_TO_SIGNUP[weak]
        if problem is None and password != confirmation:
            problem = SignupProblem.PASSWORDS_DIFFER
        if problem is None and self.find_by_email(email) is not None:
            problem = SignupProblem.EMAIL_TAKEN
        if problem is not None:
            return SignupResult(problem=problem)
        signups = Counter(f"signup:ip:{ip_scope(client_ip)}", self._throttle.signups_per_hour_per_ip, 3600)
        if self._limiter.check_and_hit([signups]) is not None:
            log_event(log, logging.WARNING, "signup_throttled", ip=client_ip)
            metrics.count_refusal("signup_ip")
            return SignupResult(problem=SignupProblem.TOO_MANY_SIGNUPS)
        user = User(email=email, password_hash=self._hasher.hash(password))
        try:
            with self._db.session() as db:
                db.add(user)
                db.flush()
                user_id = user.id
        except IntegrityError:
            return SignupResult(problem=SignupProblem.EMAIL_TAKEN)
        assert user_id is not None
        log_event(log, logging.INFO, "signup", user=user_id)
        return SignupResult(issued=self._sessions.create(user_id, Stage.AUTHENTICATED, client_ip, user_agent))

    def _counters(self, email: str, client_ip: str) -> list[Counter]:
        window = self._throttle.window_seconds
        return [
            Counter(
                f"login:fail:acct:{keyed_digest(self._secret, 'email', email)}",
                self._throttle.max_failures_per_account,
                window,
            ),
            Counter(f"login:fail:ip:{ip_scope(client_ip)}", self._throttle.max_failures_per_ip, window),
        ]

    def _check_credentials(self, email: str, password: str, client_ip: str) -> User | LoginResult:
        """The user when the password matches; otherwise the refusal. A throttle slot is taken before hashing."""
        counters = self._counters(email, client_ip)
        reached, attempt = self._limiter.reserve(counters)  # counted as a failure until the password matches
        if reached is not None:
            scope = "account" if reached.counter is counters[0] else "ip"
            log_event(log, logging.WARNING, "login_throttled", scope=scope)
            metrics.count_refusal(f"login_{scope}")
            return LoginResult(LoginOutcome.THROTTLED, retry_after_seconds=reached.retry_after_seconds)
        user = self.find_by_email(email) if len(email) <= MAX_EMAIL_LENGTH else None
        too_long = len(password) > MAX_PASSWORD_LENGTH
        stored_hash = user.password_hash if user is not None and not too_long else None
        if not self._hasher.verify(password[:MAX_PASSWORD_LENGTH], stored_hash) or user is None:
            log_event(log, logging.INFO, "login_failed", known_account=user is not None)
            return LoginResult(LoginOutcome.INVALID_CREDENTIALS)
        self._limiter.clear(counters[:1])
        self._limiter.release(counters[1:], attempt)
        return user

    def log_in(self, email: str, password: str, client_ip: str = "", user_agent: str = "") -> LoginResult:
        """Check the password (after the throttle) and start a session at the right stage."""
        result = self._log_in(email, password, client_ip, user_agent)
        metrics.count_login(result.outcome.value)
        return result

    def _log_in(self, email: str, password: str, client_ip: str, user_agent: str) -> LoginResult:
        email = normalize_email(email)
        if not email or not password:
            return LoginResult(LoginOutcome.MISSING_FIELDS)
        checked = self._check_credentials(email, password, client_ip)
        if isinstance(checked, LoginResult):
            return checked
        user = checked
        assert user.id is not None
        if user.is_two_factor_enabled:
            issued = self._sessions.create(user.id, Stage.PASSWORD_VERIFIED, client_ip, user_agent)
            log_event(log, logging.INFO, "login_password_ok", user=user.id, second_factor="required")
            return LoginResult(LoginOutcome.SECOND_FACTOR_REQUIRED, issued)
        issued = self._sessions.create(user.id, Stage.AUTHENTICATED, client_ip, user_agent)
        log_event(log, logging.INFO, "login", user=user.id)
        return LoginResult(LoginOutcome.AUTHENTICATED, issued)

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
        """Remember the factor the user used last ("sms" or "totp"), offered first at the next challenge."""
        with self._db.session() as db:
            prefer_factor(db, user_id, factor)

    def update(self, user: User) -> None:
        """Save changes to an account, stamping updated_at."""
        user.updated_at = utcnow()
        with self._db.session() as db:
            db.add(user)


PREFERABLE_FACTORS = ("sms", "totp")  # values of User.preferred_factor


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
