"""Security notices, account mails and the operator's alert mails, delivered by the job queue after the change
(or the event) they are about.

`Notices.mail` and `Notices.text` write the job to the outbox in the change's own transaction (see activity.py;
infra/outbox.py relays it to the queue once it commits, and again after a Redis outage, so a change never stands
without its notice); `mail_operator` writes one in a transaction of its own; `mail_now` queues directly, for a
mail that is no change's consequence, sent from a job (which is retried if queuing fails). The queue's worker
renders the letter and hands it to the gateway. A failed send is retried with backoff and logged; an address or
number the provider refuses for good is dropped, logged. Nothing here ever undoes a change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session, select

from sms2fa_app.backend.delivery.email import EmailGateway
from sms2fa_app.backend.delivery.letters import About, Letter, Site, about, render_mail, render_text
from sms2fa_app.backend.delivery.mail_health import MailHealth
from sms2fa_app.backend.delivery.phone import PhoneNumber, PhonePolicy, parse_phone
from sms2fa_app.backend.delivery.sms import DeliveryError, DeliveryFailure, SmsGateway
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, for_recipient
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.jobs import JobQueue, PermanentFailure
from sms2fa_app.backend.infra.outbox import Outbox
from sms2fa_app.backend.models import User

MAIL_JOB = "mail"
TEXT_JOB = "text"


class Notices:
    """Queues letters and sends them from the queue's worker."""

    def __init__(
        self,
        jobs: JobQueue,
        outbox: Outbox,
        mailer: EmailGateway,
        texts: SmsGateway,
        site: Site,
        database: Database | None = None,
        health: MailHealth | None = None,
    ):
        """`database` finds the recipient's language for a mail queued outside a change's transaction; `health`
        hears whether each mail went out (the settings pages say when mail runs late)."""
        self._database = database
        self._health = health
        self._jobs = jobs
        self._outbox = outbox
        self._mailer = mailer
        self._texts = texts
        self.site = site
        jobs.register(MAIL_JOB, self._send_mail)
        jobs.register(TEXT_JOB, self._send_text)

    def mail(self, tx: Session, letter: About, to: str, fields: Mapping[str, Any]) -> None:
        """Queue a mail about the change of `tx`, once (and only if) it commits, in the recipient's language."""
        self._outbox.add(tx, MAIL_JOB, _mail_payload(letter, to, fields, for_recipient(_stored_locale(tx, to))))

    def text(self, tx: Session, letter: About, to_e164: str, account_email: str, fields: Mapping[str, Any]) -> None:
        """Queue a text (to the old number after a change of number) about the change of `tx`, once it commits;
        its link names the account's address. Its language: the account's choice, else the number's country."""
        locale = for_recipient(_stored_locale(tx, account_email), _region(to_e164))
        payload = {"letter": letter.value, "to": to_e164, "email": account_email, "fields": dict(fields)}
        payload["locale"] = locale
        self._outbox.add(tx, TEXT_JOB, payload)

    def mail_now(self, letter: About, to: str, fields: Mapping[str, Any]) -> None:
        """Queue a mail that no database change stands for (from a job: a failure fails, and retries, the job)."""
        locale = DEFAULT_LOCALE
        if self._database is not None:
            with self._database.session() as tx:
                locale = for_recipient(_stored_locale(tx, to))
        self._jobs.enqueue(MAIL_JOB, _mail_payload(letter, to, fields, locale))

    def mail_operator(self, to: str, subject: str, text: str) -> None:
        """Queue an alert mail to the operator through the outbox, so a Redis outage delays it but never loses it
        (alerts.py words it; an OperatorMailer)."""
        self._outbox.add_now(MAIL_JOB, _mail_payload(Letter.OPERATOR_ALERT, to, {"subject": subject, "text": text}))

    def _send_mail(self, payload: dict[str, Any]) -> None:
        locale = payload.get("locale", DEFAULT_LOCALE)  # a job queued before languages: English
        mail = render_mail(about(payload["letter"]), payload["to"], payload["fields"], self.site, locale)
        try:
            _deliver(lambda: self._mailer.send_mail(mail))
        except PermanentFailure:
            raise  # this address, not the mail server
        except Exception:
            if self._health is not None:
                self._health.failed(payload["to"])
            raise
        if self._health is not None:
            self._health.delivered(payload["to"])

    def _send_text(self, payload: dict[str, Any]) -> None:
        locale = payload.get("locale", DEFAULT_LOCALE)
        text = render_text(about(payload["letter"]), payload["email"], payload["fields"], self.site, locale)
        _deliver(lambda: self._texts.send(payload["to"], text))


def _mail_payload(letter: About, to: str, fields: Mapping[str, Any], locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    return {"letter": letter.value, "to": to, "fields": dict(fields), "locale": locale}


def _stored_locale(tx: Session, email: str) -> str | None:
    """The language the account with this address chose (None: no account, or no choice), as `tx` sees it."""
    return tx.exec(select(User.locale).where(User.email == email)).first()


def _region(e164: str) -> str | None:
    """The country of a number we text (any line type: it was accepted when it was added)."""
    number = parse_phone(e164, PhonePolicy(allow_voip=True))
    return number.region if isinstance(number, PhoneNumber) else None


def _deliver(send: Callable[[], str]) -> None:
    """Send; a destination the provider refuses for good is a permanent failure (no retry), anything else retries."""
    try:
        send()
    except DeliveryError as error:
        if error.kind is DeliveryFailure.INVALID_DESTINATION:
            raise PermanentFailure("destination_refused") from error
        raise
