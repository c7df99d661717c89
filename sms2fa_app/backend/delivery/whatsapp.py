"""Codes by WhatsApp: the authentication template Plivo sends, and which channel a user's codes take.

Meta only lets a business start a WhatsApp conversation with a pre-approved template. An authentication template
has a fixed body ("<code> is your verification code.") with one parameter, the code, and a copy-code button whose
one parameter is the code again (Plivo's API calls it a `url` button at index 0). Meta refuses a code longer than
15 characters, a URL or an emoji in it: ours are six digits. The language is the template's approved translation
for the user's locale (WHATSAPP_TEMPLATE_LANGUAGES), English otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from plivo.utils.template import Template

from sms2fa_app.backend.delivery.status import Channel, stored_channel
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE

MAX_CODE_LENGTH = 15  # Meta's limit for an authentication template's code
DEFAULT_LANGUAGE = "en"


class WhatsAppGateway(Protocol):
    """Anything that sends a code as a WhatsApp authentication template."""

    whatsapp_ready: bool  # False: the channel is not offered (no template configured)

    def send_whatsapp(self, to_e164: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Send `code` to an E.164 number's WhatsApp; return the provider's message id (SmsDeliveryError on
        failure)."""
        ...


@dataclass(frozen=True)
class WhatsAppTemplate:
    """The approved authentication template: its name and its language per locale of ours."""

    name: str
    languages: tuple[tuple[str, str], ...] = ()

    def language_for(self, locale: str) -> str:
        """The template language for a user of `locale`: the configured one, else English."""
        return dict(self.languages).get(locale, DEFAULT_LANGUAGE)

    def for_code(self, code: str, locale: str = DEFAULT_LOCALE) -> Template:
        """The SDK's Template carrying `code` in the body and on the copy-code button (components as dicts: the
        SDK serializes them as JSON as they are)."""
        if not code or len(code) > MAX_CODE_LENGTH or not code.isascii() or not code.isdigit():
            raise ValueError("a WhatsApp authentication code is 1 to 15 digits")  # ours are; nothing else may ride
        parameter: dict[str, Any] = {"type": "text", "text": code}
        components = [
            {"type": "body", "parameters": [parameter]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [dict(parameter)]},
        ]
        return Template(name=self.name, language=self.language_for(locale), components=components)


def code_channel(phone_channel: str, gateway: object) -> Channel:
    """How a code goes to a user whose number has `phone_channel` (users.phone_channel): WhatsApp while the gateway
    can send it, a call to a landline, else a text."""
    if phone_channel == Channel.WHATSAPP.value and whatsapp_available(gateway):
        return Channel.WHATSAPP
    return stored_channel(phone_channel)


def whatsapp_available(gateway: object) -> bool:
    """True when the gateway sends WhatsApp templates (Plivo with a template, or the development outbox)."""
    return bool(getattr(gateway, "whatsapp_ready", False))
