"""Server-side login sessions: create, resolve, advance (with a new token), end.

The browser holds a random 256-bit token; the database holds only its SHA-256, the user, the session's
assurance (backend/assurance.py: level, auth_time, amr) and the times. Every step of a sign-in issues a new
token and voids the old one. The rules a session lives by (expiry, the per-account caps) are in session_rules.py,
the values handed out in session_values.py; both are named here too, for the callers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, bindparam
from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.assurance import Amr, Assurance, Level
from sms2fa_app.backend.audit.activity import Activity, EventKind
from sms2fa_app.backend.identity.link_tokens import LinkPurpose, LinkTokens
from sms2fa_app.backend.identity.session_ends import SessionEnds
from sms2fa_app.backend.identity.session_rules import (
    PENDING_SESSIONS_PER_USER,
    TOUCH_INTERVAL_SECONDS,
    SessionPolicy,
    beyond_cap,
    expired,
    expired_clause,
    expires_at,
)
from sms2fa_app.backend.identity.session_values import (
    ActiveSession,
    IssuedSession,
    ResolvedSession,
    SessionInfo,
    active_session,
    store_assurance,
)
from sms2fa_app.backend.infra.client import ClientInfo, approximate_network, device_label
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import TokenDigest, lookup_digest, new_token, token_digest
from sms2fa_app.backend.infra.db import Database, after_commit
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import LoginSession, User

log = logging.getLogger("sms2fa.sessions")

__all__ = [
    "PENDING_SESSIONS_PER_USER",
    "ActiveSession",
    "IssuedSession",
    "ResolvedSession",
    "SessionInfo",
    "SessionPolicy",
    "SessionStore",
]

Token = str | TokenDigest | None  # a browser token, or its digest
Facts = Mapping[str, ColumnElement[Any]]  # named scalar subqueries on LoginSession.user_id (resolve_with_facts)
Resolved = ResolvedSession | None

# Built once: every event of a signed-in tab resolves its session.
_SESSION = select(LoginSession).where(col(LoginSession.token_hash) == bindparam("token_hash"))
_SESSION_AND_USER = (
    select(LoginSession, User)
    .join(User, col(User.id) == col(LoginSession.user_id))
    .where(col(LoginSession.token_hash) == bindparam("token_hash"))
)


class SessionStore:
    """Login sessions in the SQL database."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: SessionPolicy,
        activity: Activity | None = None,
        ends: SessionEnds | None = None,
    ):
        """With `activity`, every sign-in (a session reaching the authenticated stage) is logged in its transaction;
        `ends` hears of every session that ends (each delete below goes through `_delete`)."""
        self._db = database
        self._clock = clock
        self._policy = policy
        self._activity = activity
        self.ends = ends

    def _ended(self, db: Session, digests: Sequence[str], *, changed: bool = False) -> None:
        """Tell `ends` of these digests once `db` commits (never after a rollback: the sessions still live)."""
        if self.ends is None or not digests:
            return
        listener, gone = self.ends, list(digests)
        after_commit(db, lambda: listener.changed(gone) if changed else listener.ended(gone))

    def _delete(self, db: Session, *conditions: object) -> int:
        """Delete the sessions matching `conditions` in `db`; returns how many (their digests go to `ends`)."""
        query = delete(LoginSession).where(*conditions).returning(col(LoginSession.token_hash))  # type: ignore[arg-type]
        digests = list(db.exec(query).scalars().all())  # type: ignore[call-overload]
        self._ended(db, digests)
        return len(digests)

    def expires_at(self, session: ActiveSession) -> float:
        """When a live session expires unless used again (idle, absolute, or waiting too long for its factor)."""
        return expires_at(self._policy, session)

    def _signed_in(self, db: Session, user_id: int, how: str, client: ClientInfo | None = None) -> None:
        if self._activity is not None:
            self._activity.record(db, user_id, EventKind.SIGNED_IN, how, client=client)

    def create(
        self,
        user_id: int,
        methods: tuple[Amr, ...],
        client_ip: str = "",
        user_agent: str = "",
        how: str = "password",
        *,
        complete: bool = True,
    ) -> IssuedSession:
        """Start a session with a fresh token after `methods` were presented: signed in when `complete`, else
        waiting for the second factor (`how`: what signed it in, for the log)."""
        now = self._clock.now()
        token = new_token()
        assurance = Assurance.first(methods, now, complete=complete)
        record = LoginSession(
            token_hash=token_digest(token),
            user_id=user_id,
            created_at=now,
            auth_time=now,
            last_seen_at=now,
            client_ip=client_ip[:64],
            user_agent=user_agent[:255],
            how=how[:16] if complete else "",
        )
        store_assurance(record, assurance)
        with self._db.session() as db:
            db.add(record)
            db.flush()
            self._end_beyond_cap(db, user_id, record.id, signed_in=complete)
            if complete:
                self._signed_in(db, user_id, how, ClientInfo(client_ip, user_agent))
            return IssuedSession(token, active_session(record))

    def _end_beyond_cap(self, db: Session, user_id: int, arrived: int | None, *, signed_in: bool) -> None:
        """Make room for the session `arrived`, which just started or reached that stage (signed in, or waiting for
        its second factor): end the user's least recently seen sessions of the same stage beyond its cap, in the
        caller's transaction. Only sessions of the same stage count: a login stopping at its second factor never
        ends a signed-in session."""
        stale = list(db.exec(beyond_cap(self._policy, user_id, arrived, signed_in=signed_in)).all())
        if stale:
            self._delete(db, col(LoginSession.id).in_(stale))
            stage = "signed_in" if signed_in else "pending"
            log_event(log, logging.INFO, "sessions_capped", user=user_id, stage=stage, ended=len(stale))

    def purge_expired(self, db: Session, now: float) -> int:
        """Delete every expired session in the caller's transaction (the periodic purge: `resolve` deletes only
        the ones still presented). Returns how many went."""
        return self._delete(db, expired_clause(self._policy, now))

    def _expired(self, record: LoginSession, now: float) -> bool:
        return expired(self._policy, record, now)

    def resolve(self, token: str | TokenDigest | None) -> ActiveSession | None:
        """The live session for a token (or its digest), or None (unknown, tampered or expired; expired ones are
        deleted)."""
        found = self.resolve_with_facts(token, with_user=False)
        return None if found is None else found.session

    def resolve_with_user(self, token: str | TokenDigest | None) -> tuple[ActiveSession, User | None] | None:
        """The live session for a token (or its digest) and its user, read in one query (None as for `resolve`)."""
        found = self.resolve_with_facts(token)
        return None if found is None else (found.session, found.user)

    def resolve_with_facts(self, token: Token, facts: Facts | None = None, *, with_user: bool = True) -> Resolved:
        """The live session, its user and `facts` (scalar subqueries on `LoginSession.user_id`, such as
        `SecondFactors.summary_facts()`), in one statement and one transaction: a page that needs the caller and
        a few counts about them reads them together (None as for `resolve`)."""
        digest = lookup_digest(token)
        if digest is None:
            return None
        now = self._clock.now()
        statement = _SESSION_AND_USER if with_user else _SESSION
        if facts:
            statement = statement.add_columns(*(fact.label(name) for name, fact in facts.items()))
        with self._db.session() as db:
            row = db.exec(statement, params={"token_hash": digest}).first()
            if row is None:
                return None
            columns = (row,) if isinstance(row, LoginSession) else tuple(row)  # one entity alone comes unwrapped
            record, user = (columns[0], columns[1]) if with_user else (columns[0], None)
            if self._expired(record, now):
                db.delete(record)
                self._ended(db, [record.token_hash])
                return None
            if now - record.last_seen_at >= TOUCH_INTERVAL_SECONDS:
                record.last_seen_at = now
                db.add(record)
            known = dict(zip(facts or {}, columns[2 if with_user else 1 :], strict=True))
            return ResolvedSession(active_session(record), user, known)

    def advance(
        self, token: Token, methods: tuple[Amr, ...], how: str = "", *, seen: ActiveSession | None = None
    ) -> IssuedSession | None:
        """Complete a live session's sign-in with `methods` (the second factor, or a remembered device) under a new
        token; the old token (given itself or as its digest) stops working. Completing it is a sign-in (`how`: the
        factor or "device"); a session signed in already only gets the new token.

        `seen`: the session as the caller resolved it for this event; then the move is one conditional UPDATE (the
        same token, level and liveness as seen), without reading the row again."""
        digest = lookup_digest(token)
        seen = seen if digest is None or seen is not None else self.resolve(token)
        if digest is None or seen is None:
            return None
        now = self._clock.now()
        fresh = new_token()
        reached = not seen.assurance.signed_in
        assurance = seen.assurance.adding(methods, now) if reached else seen.assurance
        values: dict[str, Any] = {"token_hash": token_digest(fresh), "last_seen_at": now}
        if reached:
            level, auth_time, amr = assurance.stored()
            values |= {"level": level, "auth_time": auth_time, "amr": amr, "how": how[:16]}
        row = col(LoginSession.id) == seen.session_id, col(LoginSession.token_hash) == digest
        still = col(LoginSession.level) == seen.assurance.level.value, ~expired_clause(self._policy, now)
        moved = update(LoginSession).where(*row, *still).values(**values)
        with self._db.session() as db:
            if (db.exec(moved.execution_options(synchronize_session=False)).rowcount or 0) != 1:  # ended, moved on
                return None
            if seen.assurance.signed_in:  # the old token passed verifies: forget its cached facts
                self._ended(db, [digest])
            if reached:  # a sign-in; the session reaching the signed-in stage makes room among the signed-in ones
                self._signed_in(db, seen.user_id, how)
                self._end_beyond_cap(db, seen.user_id, seen.session_id, signed_in=True)
        advanced = replace(seen, assurance=assurance, how=how[:16] if reached else seen.how)
        return IssuedSession(fresh, advanced)

    def assurance(self, session_id: int, db: Session | None = None) -> Assurance:
        """A live session's assurance as stored now (in `db` when given); nothing for an unknown or expired one."""
        with self._db.within(db) as tx:
            record = tx.get(LoginSession, int(session_id))
            if record is None or self._expired(record, self._clock.now()):
                return Assurance()
            return Assurance.from_stored(record.level, record.auth_time, record.amr)

    def reauthenticate(
        self, session_id: int, methods: tuple[Amr, ...], *, after_password_at: float | None = None
    ) -> float | None:
        """`methods` presented again now in a live session (re-authentication: its level stays); returns when they
        were recorded, or None for an unknown or expired session.

        With `after_password_at` (a second factor for the ticket that password started), nothing is recorded when
        the session's password was confirmed again since: a code checked for one operation must not count after
        the password of another that replaced it meanwhile. The row is locked, so this check and a new password
        confirmation never interleave; a new password always gets a later time than the last one, even when the
        clock reads the same."""
        now = self._clock.now()
        with self._db.session() as db:
            record = db.get(LoginSession, int(session_id), with_for_update=True)
            if record is None or self._expired(record, now):
                return None
            current = Assurance.from_stored(record.level, record.auth_time, record.amr)
            last_password = current.password_at
            if after_password_at is not None and last_password != after_password_at:
                return None
            if Amr.PWD in methods and last_password is not None:
                now = max(now, math.nextafter(last_password, math.inf))
            store_assurance(record, current.reauthenticated(methods, now))
            db.add(record)
            self._ended(db, [record.token_hash], changed=True)
            return now

    def step_up(self, token: str | TokenDigest | None, methods: tuple[Amr, ...]) -> IssuedSession | None:
        """A signed-in session presented `methods` again now (a page's step-up): they are recorded (its auth_time
        moves, its level stays) and the session goes on under a new token, in one transaction; None for an
        unknown, expired or not signed-in session."""
        digest = lookup_digest(token)
        if digest is None:
            return None
        now = self._clock.now()
        with self._db.session() as db:
            record = db.exec(select(LoginSession).where(LoginSession.token_hash == digest).with_for_update()).first()
            if record is None or self._expired(record, now) or record.level == Level.NONE.value:
                return None
            current = Assurance.from_stored(record.level, record.auth_time, record.amr)
            store_assurance(record, current.reauthenticated(methods, now))
            fresh = new_token()
            self._ended(db, [record.token_hash])  # the old token stops working here and behind the proxies
            record.token_hash = token_digest(fresh)
            record.last_seen_at = now
            db.add(record)
            db.flush()
            return IssuedSession(fresh, active_session(record))

    def end(self, token: str | TokenDigest | None) -> None:
        """Delete the session behind a token or its digest (logout)."""
        digest = lookup_digest(token)
        if digest is None:
            return
        with self._db.session() as db:
            self._delete(db, col(LoginSession.token_hash) == digest)

    def list_for_user(self, user_id: int) -> list[SessionInfo]:
        """The user's live sessions, most recently seen first."""
        now = self._clock.now()
        with self._db.session() as db:
            records = db.exec(
                select(LoginSession)
                .where(LoginSession.user_id == int(user_id))
                .order_by(col(LoginSession.last_seen_at).desc(), col(LoginSession.id).desc())
            ).all()
            return [
                SessionInfo(
                    session_id=record.id or 0,
                    browser=device_label(record.user_agent),
                    network=approximate_network(record.client_ip),
                    started_at=record.created_at,
                    last_seen_at=record.last_seen_at,
                    signed_in=record.level != Level.NONE.value,
                )
                for record in records
                if not self._expired(record, now)
            ]

    def end_for_user(self, user_id: int, session_id: int) -> bool:
        """End one session of the user ("Sign out" in the list); False if it is not theirs."""
        with self._db.session() as db:
            ended = self._delete(db, col(LoginSession.id) == int(session_id), col(LoginSession.user_id) == int(user_id))
            return ended == 1

    def end_all_for_user(self, user_id: int, keep_session_id: int | None = None, db: Session | None = None) -> int:
        """Delete every session of a user but one, and the user's unused password-reset links (a mailed link is a
        way in that outlives every session: a password change, a reset, "sign out everywhere" and an admin's
        reset all come through here); returns how many sessions were ended. With `db`, in that transaction."""
        with self._db.within(db) as tx:
            LinkTokens.void_for_user(tx, user_id, LinkPurpose.RESET_PASSWORD)
            mine = col(LoginSession.user_id) == user_id
            if keep_session_id is None:
                return self._delete(tx, mine)
            return self._delete(tx, mine, col(LoginSession.id) != keep_session_id)

    def rotate(self, db: Session, session_id: int) -> IssuedSession | None:
        """Give a live session a new token inside the caller's transaction; the old token stops working."""
        record = db.get(LoginSession, session_id)
        if record is None or self._expired(record, self._clock.now()):
            return None
        fresh = new_token()
        self._ended(db, [record.token_hash])
        record.token_hash = token_digest(fresh)
        record.last_seen_at = self._clock.now()
        db.add(record)
        db.flush()
        return IssuedSession(fresh, active_session(record))
