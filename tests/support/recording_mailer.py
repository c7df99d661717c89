"""An EmailGateway for tests: records every mail, can be told to fail, and finds the links in mails."""

from __future__ import annotations

import re
import threading
from collections import deque

from sms2fa_app.backend.delivery.email import EmailDeliveryError, Mail
from sms2fa_app.backend.delivery.sms import DeliveryFailure

LINK = re.compile(r"https?://\S+")


def links_in(text: str) -> list[str]:
    """Every URL in a mail's text, in order."""
    return LINK.findall(text)


def link_to(text: str, path: str) -> str:
    """The one link in `text` to `path` (such as /verify-email); AssertionError when there is none."""
    found = [link for link in links_in(text) if path in link]
    assert len(found) == 1, f"expected one link to {path}, found {found}"
    return found[0]


class RecordingMailer:
    """Records sent mails in order; `fail_next` makes the next sends raise EmailDeliveryError. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: deque[EmailDeliveryError] = deque()
        self.sent: list[Mail] = []
        self.attempts = 0

    def send_mail(self, mail: Mail) -> str:
        """Record the mail or raise the next scripted failure."""
        with self._lock:
            self.attempts += 1
            if self._failures:
                raise self._failures.popleft()
            self.sent.append(mail)
            return f"<mail-{len(self.sent)}@test>"

    def fail_next(self, kind: DeliveryFailure = DeliveryFailure.TEMPORARY, count: int = 1) -> None:
        """Make the next `count` sends fail with this kind."""
        with self._lock:
            self._failures.extend(EmailDeliveryError(kind, f"scripted {kind.value}") for _ in range(count))

    def to(self, address: str) -> list[Mail]:
        """The mails sent to `address`, in order."""
        with self._lock:
            return [mail for mail in self.sent if mail.to == address]

    def last_link(self, address: str, path: str) -> str:
        """The link to `path` in the newest mail to `address` that has one."""
        for mail in reversed(self.to(address)):
            if path in mail.text:
                return link_to(mail.text, path)
        raise AssertionError(f"no mail to {address} with a link to {path}")
