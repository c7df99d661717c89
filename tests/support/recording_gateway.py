"""A Gateway for tests: records every text and call, can be told to fail, and finds codes in texts."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass

from sms2fa_app.backend.delivery.sms import DeliveryFailure, SmsDeliveryError

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def extract_code(text: str) -> str:
    """The 6-digit code in an SMS text; AssertionError when there is none."""
    match = _CODE.search(text)
    assert match is not None, "no 6-digit code in the text"
    return match.group(1)


@dataclass(frozen=True)
class SentText:
    """One recorded send (a call is recorded with the code it would say as its text)."""

    to: str
    text: str
    message_id: str
    channel: str = "sms"

    @property
    def code(self) -> str:
        """The code in this text."""
        return extract_code(self.text)


class RecordingGateway:
    """Records (to, text) in order; `fail_next` makes the next sends raise SmsDeliveryError. Thread-safe.
    With `reports_status`, the backend follows its messages as if delivery reports would come."""

    def __init__(self, reports_status: bool = False) -> None:
        self._lock = threading.Lock()
        self._failures: deque[SmsDeliveryError] = deque()
        self.sent: list[SentText] = []
        self.call_locales: list[str] = []
        self.attempts = 0
        self.reports_status = reports_status
        self.whatsapp_ready = True

    def send(self, to_e164: str, text: str) -> str:
        """Record the text or raise the next scripted failure."""
        return self._record(to_e164, text, "sms")

    def call(self, to_e164: str, code: str, locale: str = "en") -> str:
        """Record a call that would say `code` (or voice.NOTICE, the taken number's notice) in `locale`, or raise
        the next scripted failure."""
        self.call_locales.append(locale)
        return self._record(to_e164, f"(call) {code}", "voice")

    def send_whatsapp(self, to_e164: str, code: str, locale: str = "en") -> str:
        """Record a WhatsApp template carrying `code` (in `locale`) or raise the next scripted failure."""
        return self._record(to_e164, f"(whatsapp {locale}) {code}", "whatsapp")

    def _record(self, to_e164: str, text: str, channel: str) -> str:
        with self._lock:
            self.attempts += 1
            if self._failures:
                raise self._failures.popleft()
            message_id = f"rec-{len(self.sent) + 1}"
            self.sent.append(SentText(to_e164, text, message_id, channel))
            return message_id

    def fail_next(self, kind: DeliveryFailure = DeliveryFailure.TEMPORARY, count: int = 1, detail: str = "") -> None:
        """Make the next `count` sends fail with this kind."""
        with self._lock:
            self._failures.extend(SmsDeliveryError(kind, detail or f"scripted {kind.value}") for _ in range(count))

    @property
    def texts(self) -> list[tuple[str, str]]:
        """(to, text) pairs in sending order."""
        with self._lock:
            return [(sent.to, sent.text) for sent in self.sent]

    def last_code(self, to: str | None = None) -> str | None:
        """The code of the newest text (to `to`, when given), or None."""
        with self._lock:
            for sent in reversed(self.sent):
                if to is None or sent.to == to:
                    return sent.code
        return None

    def clear(self) -> None:
        """Forget recorded texts and scripted failures."""
        with self._lock:
            self.sent.clear()
            self._failures.clear()
            self.attempts = 0
