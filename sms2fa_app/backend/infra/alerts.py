"""Alerts for the operator: something needs a person's attention now (a country's texts blocked by its cap).

Each alert is three things at once: a WARNING log line (`event=operator_alert`), a Prometheus counter
(`sms2fa_operator_alerts_total{kind=...}`, exposed wherever the app serves metrics), and a mail to
OPERATOR_EMAIL through a pluggable sender: the composition root passes the notices' mail queue
(`Notices.mail_operator`: the outbox, then the job queue, send it through the mail gateway, SMTP in production and the
development outbox otherwise), as the letter OPERATOR_ALERT (delivery/letters.py). The log line says what
became of the mail: `sent` (handed to the sender), `no_operator_email`, `no_mail_sender` or
`failed:<error>`; a failing mail never fails the request that raised the alert.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Protocol

from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.events import log_event

log = logging.getLogger("sms2fa.alerts")


class AlertKind(enum.StrEnum):
    """What an alert is about."""

    COUNTRY_BLOCKED = "country_blocked"


@dataclass(frozen=True)
class Alert:
    """One alert: its kind, a one-line subject, and the text of the mail."""

    kind: AlertKind
    subject: str
    text: str


class OperatorMailer(Protocol):
    """Anything that mails one plain-text message (Notices.mail_operator queues it for the mail gateway)."""

    def __call__(self, to: str, subject: str, text: str) -> None:
        """Send it, or raise."""
        ...


class OperatorAlerts:
    """Raises alerts: log line, metric, mail to the operator address (when there is one)."""

    def __init__(self, app_name: str, operator_email: str | None = None, mailer: OperatorMailer | None = None):
        self._app_name = app_name
        self._to = operator_email
        self._mailer = mailer

    def country_blocked(self, region: str, cap: int, block_seconds: int) -> None:
        """A destination country reached its hourly cap and is blocked for `block_seconds`."""
        minutes = max(1, block_seconds // 60)
        self.raise_alert(
            Alert(
                AlertKind.COUNTRY_BLOCKED,
                f"[{self._app_name}] Texts to {region} blocked for {minutes} minutes",
                f"Codes to numbers in {region} reached their cap of {cap} per hour, which can mean SMS pumping "
                f"(fraudulent sign-ups that earn someone money for each text). Texts and calls to {region} are "
                f"blocked for {minutes} minutes. Raise SMS_COUNTRY_CAPS_PER_HOUR for {region} if this was real "
                "traffic.",
            ),
            country=region,
            cap=cap,
            blocked_seconds=block_seconds,
        )

    def raise_alert(self, alert: Alert, **fields: object) -> None:
        """Log, count and mail one alert."""
        metrics.count_operator_alert(alert.kind.value)
        mailed = "no_operator_email" if not self._to else "no_mail_sender" if self._mailer is None else "sent"
        if self._to and self._mailer is not None:
            try:
                self._mailer(self._to, alert.subject, alert.text)
            except Exception as error:  # an alert must not fail the request that raised it
                mailed = f"failed:{type(error).__name__}"
        log_event(log, logging.WARNING, "operator_alert", kind=alert.kind.value, mail=mailed, **fields)
