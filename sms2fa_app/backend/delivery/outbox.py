"""The development outbox: texts and mails the app would have sent, kept in one Redis list.

One gateway for every channel (an SmsGateway, a VoiceGateway and an EmailGateway), so a developer finds
codes, spoken codes, verification links and notices in one place, /dev/outbox. It holds codes and links in
clear by design; config refuses production without Plivo and SMTP, so it never runs there.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from sms2fa_app.backend.delivery.email import EmailDeliveryError, Mail, mask_email
from sms2fa_app.backend.delivery.letters import number_taken_text
from sms2fa_app.backend.delivery.phone import mask_phone
from sms2fa_app.backend.delivery.sms import DeliveryFailure, SmsDeliveryError
from sms2fa_app.backend.delivery.voice import AGAIN, INTRO, NOTICE, spoken_locale
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE
from sms2fa_app.backend.infra.clock import Clock, SystemClock
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.infra.redis_store import redis_fail_closed

log = logging.getLogger("sms2fa.outbox")

OUTBOX_KEY = "dev:outbox"
SMS = "sms"
EMAIL = "email"
WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class OutboxMessage:
    """A text or a mail kept by the development outbox (a mail's `text` is its plain-text part)."""

    to: str
    text: str
    at: float
    message_id: str = ""
    channel: str = SMS
    subject: str = ""


VOICE_CALL_MARK = "(voice call)"  # tells a call's words from a text's in the development outbox (never sent)
WHATSAPP_MARK = "(WhatsApp template)"  # a WhatsApp code's entry: the code the template's body and button carry


class DevOutbox:
    """Development gateway: keeps the newest messages in the Redis list `dev:outbox` instead of sending them."""

    reports_status = False  # nothing reports back: the outbox is the whole delivery
    whatsapp_ready = True  # development offers WhatsApp: the template's code lands here

    def __init__(self, client: redis.Redis, size: int = 50, clock: Clock | None = None, app_name: str = "sms2fa"):
        self._redis = client
        self._size = size
        self._clock = clock or SystemClock()
        self._app_name = app_name

    def call(self, to_e164: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Keep what the call would say (digit by digit, in its language) as the newest outbox entry; return its
        id."""
        spoken = spoken_locale(locale)
        spaced = " ".join(code)
        said = f"{INTRO(spoken, app=self._app_name)} {spaced}. {AGAIN(spoken)} {spaced}."
        if code == NOTICE:  # a number another account holds: the notice, no code
            said = number_taken_text(self._app_name, spoken)
        return self.send(to_e164, f"{VOICE_CALL_MARK} {said}")

    def send_whatsapp(self, to_e164: str, code: str, locale: str = DEFAULT_LOCALE) -> str:
        """Keep what the WhatsApp authentication template would show (its code) as the newest entry; return its
        id."""
        message_id = self._keep({"channel": WHATSAPP, "to": to_e164, "text": f"{WHATSAPP_MARK} {code}"})
        if message_id is None:
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, "dev outbox unavailable")
        log_event(log, logging.INFO, "whatsapp_sent", provider="dev_outbox", to=mask_phone(to_e164))
        return message_id

    def send(self, to_e164: str, text: str) -> str:
        """Keep a text as the newest entry; return its id."""
        message_id = self._keep({"channel": SMS, "to": to_e164, "text": text})
        if message_id is None:
            raise SmsDeliveryError(DeliveryFailure.TEMPORARY, "dev outbox unavailable")
        log_event(log, logging.INFO, "sms_sent", provider="dev_outbox", to=mask_phone(to_e164), message_uuid=message_id)
        return message_id

    def send_mail(self, mail: Mail) -> str:
        """Keep a mail (subject and plain text) as the newest entry; return its id."""
        message_id = self._keep({"channel": EMAIL, "to": mail.to, "subject": mail.subject, "text": mail.text})
        if message_id is None:
            raise EmailDeliveryError(DeliveryFailure.TEMPORARY, "dev outbox unavailable")
        log_event(log, logging.INFO, "mail_sent", provider="dev_outbox", to=mask_email(mail.to), message_id=message_id)
        return message_id

    def _keep(self, entry: dict[str, Any]) -> str | None:
        message_id = f"dev-{uuid.uuid4()}"
        record = json.dumps({**entry, "at": self._clock.now(), "message_id": message_id})
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.lpush(OUTBOX_KEY, record)
            pipe.ltrim(OUTBOX_KEY, 0, self._size - 1)
            pipe.execute()
        except redis.RedisError:
            return None
        return message_id

    def recent(self, limit: int | None = None) -> list[OutboxMessage]:
        """Newest first."""
        stop = (self._size if limit is None else min(limit, self._size)) - 1
        with redis_fail_closed():
            entries = self._redis.lrange(OUTBOX_KEY, 0, stop)
        messages = []
        for entry in entries:
            data = json.loads(entry)
            messages.append(
                OutboxMessage(
                    data["to"],
                    data["text"],
                    float(data["at"]),
                    data.get("message_id", ""),
                    data.get("channel", SMS),
                    data.get("subject", ""),
                )
            )
        return messages

    def clear(self) -> None:
        """Forget every stored message."""
        with redis_fail_closed():
            self._redis.delete(OUTBOX_KEY)
