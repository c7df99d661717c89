"""A user's language: the stored choice (users.locale) and the language of what is sent to them.

The choice is step 1 of the negotiation (i18n/locales.py); senders pass it to OtpService with the User row they hold
(no query per text); a text or call to a user without one goes out in the language of the phone's country, then
English."""

from __future__ import annotations

import enum

from sqlmodel import select

from sms2fa_app.backend.i18n.locales import supported
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import User


class LanguageChange(enum.Enum):
    """What became of a choice of language."""

    SAVED = "saved"
    CLEARED = "cleared"  # back to negotiation (Accept-Language, the phone's country, English)
    UNSUPPORTED = "unsupported"  # not a shipped locale: nothing changed


class Languages:
    """Reads and saves users' choices of language."""

    def __init__(self, database: Database):
        self._db = database

    def choice(self, user_id: int) -> str | None:
        """The user's stored choice, if it still ships."""
        with self._db.session() as tx:
            stored = tx.exec(select(User.locale).where(User.id == user_id)).first()
        return supported(stored) if stored else None

    def choose(self, user_id: int, locale: str | None) -> LanguageChange:
        """Save the user's choice (None or "" clears it); an unknown locale changes nothing."""
        wanted = supported(locale) if locale else None
        if locale and wanted is None:
            return LanguageChange.UNSUPPORTED
        with self._db.session() as tx:
            user = tx.get(User, user_id)
            if user is None:
                return LanguageChange.UNSUPPORTED
            user.locale = wanted
            tx.add(user)
        return LanguageChange.SAVED if wanted else LanguageChange.CLEARED
