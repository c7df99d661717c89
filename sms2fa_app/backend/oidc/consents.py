"""Consents: a user agreed that a third-party client receives these scopes (asked once per client; a client
marked first-party never asks). Disconnecting a client forgets its consent and revokes its tokens."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import OidcConsent


class Consents:
    """Consents in the SQL database."""

    def __init__(self, database: Database, clock: Clock):
        self._db = database
        self._clock = clock

    def covers(self, user_id: int, client_id: str, scope: str) -> bool:
        """Whether the user consented to this client receiving every scope asked."""
        with self._db.session() as db:
            row = db.exec(
                select(OidcConsent).where(col(OidcConsent.user_id) == user_id, col(OidcConsent.client_id) == client_id)
            ).first()
            return row is not None and set(scope.split()) <= set(row.scope.split())

    def grant(self, user_id: int, client_id: str, scope: str) -> None:
        """Record consent to these scopes (added to any consented before)."""
        try:
            with self._db.session() as db:
                row = db.exec(
                    select(OidcConsent).where(
                        col(OidcConsent.user_id) == user_id, col(OidcConsent.client_id) == client_id
                    )
                ).first()
                if row is None:
                    row = OidcConsent(user_id=user_id, client_id=client_id, scope="", granted_at=self._clock.now())
                row.scope = " ".join(sorted(set(row.scope.split()) | set(scope.split())))[:255]
                row.granted_at = self._clock.now()
                db.add(row)
        except IntegrityError:  # the same consent posted twice at once: the other one recorded it
            return

    def forget(self, user_id: int, client_id: str) -> None:
        """Drop the consent ("Disconnect"): the next sign-in asks again."""
        with self._db.session() as db:
            db.exec(
                delete(OidcConsent).where(col(OidcConsent.user_id) == user_id, col(OidcConsent.client_id) == client_id)
            )
