"""The catalogue of words users read, split by screen (`words.login.INVALID_CREDENTIALS`,
`words.challenge.verify_failed(...)`): each sentence is a `Text` with a stable id (see catalogue.py)."""

from sms2fa_app.state.words import activity, admin, admin_pages, challenge, common, login, pages, settings
from sms2fa_app.state.words.catalogue import Plural, Text, catalogue, message_id

__all__ = [
    "Plural",
    "Text",
    "activity",
    "admin",
    "admin_pages",
    "catalogue",
    "challenge",
    "common",
    "login",
    "message_id",
    "pages",
    "settings",
]
