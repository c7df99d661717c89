"""Sending mail: the EmailGateway protocol and an SMTP gateway (standard library smtplib).

Built like the SMS side (sms.py): a gateway sends one message and returns an id, or raises
EmailDeliveryError saying whether a retry may help. Logs name the masked recipient and the message id,
never the body (it holds the link it exists to deliver), the whole address or a credential.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal, Protocol

from sms2fa_app.backend.delivery.sms import DeliveryError, DeliveryFailure, scrub
from sms2fa_app.backend.infra.clock import Clock, SystemClock
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.email")

Security = Literal["starttls", "tls", "none"]
_ADDRESS = re.compile(r"[^@\s<>'\"]+@[^@\s<>'\"]+")


@dataclass(frozen=True)
class Mail:
    """One message: plain text plus a simple HTML version of the same words."""

    to: str
    subject: str
    text: str
    html: str


class EmailDeliveryError(DeliveryError):
    """The mail gateway could not send (INVALID_DESTINATION: the server refused the address for good)."""


class EmailGateway(Protocol):
    """Anything that sends one mail and returns its message id."""

    def send_mail(self, mail: Mail) -> str:
        """Send `mail`; raise EmailDeliveryError on failure."""
        ...


def mask_email(address: str) -> str:
    """ "a•••@example.com": enough to tell messages apart in a log, not enough to name the person."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}" if local else "•••"


def build_message(mail: Mail, sender: str, clock: Clock) -> EmailMessage:
    """The MIME message: headers, the text part and the HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.fromtimestamp(clock.now(), UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a notice
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpGateway:
    """Sends through an SMTP server: STARTTLS (587), implicit TLS (465) or plain (a local relay only;
    config refuses plain SMTP elsewhere in production). One connection per message, with a timeout."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ca_file: Path | None = None,
        clock: Clock | None = None,
    ):
        self._host = host
        self._port = port
        self._sender = sender
        self._security = security
        self._credentials = (username, password) if username and password else None
        self._timeout = timeout
        self._context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._clock = clock or SystemClock()

    def send_mail(self, mail: Mail) -> str:
        """Send one message; return its Message-ID."""
        message = build_message(mail, self._sender, self._clock)
        masked = mask_email(mail.to)
        try:
            with self._connect() as smtp:
                if self._security == "starttls":
                    smtp.starttls(context=self._context)
                    smtp.ehlo()
                if self._credentials is not None:
                    smtp.login(*self._credentials)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            kind = DeliveryFailure.INVALID_DESTINATION if all(c >= 500 for c in codes) else DeliveryFailure.TEMPORARY
            self._fail(masked, kind, error)
        except smtplib.SMTPResponseException as error:
            self._fail(masked, DeliveryFailure.TEMPORARY, error)
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:  # refused, reset, timeout, TLS
            self._fail(masked, DeliveryFailure.TEMPORARY, error)
        message_id = str(message["Message-ID"])
        log_event(log, logging.INFO, "mail_sent", provider="smtp", to=masked, message_id=message_id.strip("<>"))
        return message_id

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=self._context)
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)

    @staticmethod
    def _fail(masked: str, kind: DeliveryFailure, error: Exception) -> None:
        detail = scrub(_ADDRESS.sub("[address]", str(error)))  # servers echo the recipient in their replies
        log_event(
            log,
            logging.WARNING,
            "mail_failed",
            provider="smtp",
            to=masked,
            kind=kind.value,
            error=type(error).__name__,
            detail=detail,
        )
        raise EmailDeliveryError(kind, detail) from error
