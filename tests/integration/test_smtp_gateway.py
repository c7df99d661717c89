"""SmtpGateway through smtplib against a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS, a login,
refusals mapped to what the job queue should do, a timeout; and a whole sign-up over real SMTP and Redis."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import redis

from sms2fa_app.backend.delivery.email import EmailDeliveryError, Mail, SmtpGateway
from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.services import build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import PASSWORD
from tests.support.recording_gateway import RecordingGateway
from tests.support.smtp_server import LocalSmtp

MAIL = Mail(
    to="ada@example.com",
    subject="Confirm your email address for sms2fa",
    text="Confirm here:\nhttps://sms2fa.example.com/verify-email?token=abc\n",
    html='<p><a href="https://sms2fa.example.com/verify-email?token=abc">link</a></p>',
)
LOGIN = ("sms2fa", "smtp-password")


def gateway_for(server: LocalSmtp, *, login: tuple[str, str] | None = None, timeout: float = 5.0) -> SmtpGateway:
    username, password = login or (None, None)
    return SmtpGateway(
        "127.0.0.1",
        server.port,
        "sms2fa@example.com",
        security=server.security,
        username=username,
        password=password,
        timeout=timeout,
        ca_file=server.ca_file,
    )


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
@pytest.mark.parametrize("login", [None, LOGIN])
def test_a_mail_arrives_as_text_and_html(security: str, login: tuple[str, str] | None) -> None:
    with LocalSmtp(security, login) as server:  # type: ignore[arg-type]
        message_id = gateway_for(server, login=login).send_mail(MAIL)
        (received,) = server.messages
    assert received.recipients == ("ada@example.com",) and received.sender == "sms2fa@example.com"
    assert (
        received.subject == MAIL.subject
        and received.text.replace("\r\n", "\n") == MAIL.text
        and 'href="https://' in received.html
    )
    assert received.headers["Message-ID"] == message_id


def test_starttls_refuses_a_server_it_cannot_trust() -> None:
    with LocalSmtp("starttls") as server:
        untrusting = SmtpGateway("127.0.0.1", server.port, "sms2fa@example.com", security="starttls", timeout=5)
        with pytest.raises(EmailDeliveryError) as raised:
            untrusting.send_mail(MAIL)
        assert raised.value.kind is DeliveryFailure.TEMPORARY and server.messages == []


def test_a_wrong_login_is_a_temporary_failure() -> None:
    with LocalSmtp("starttls", LOGIN) as server:
        with pytest.raises(EmailDeliveryError) as raised:
            gateway_for(server, login=("sms2fa", "wrong")).send_mail(MAIL)
        assert raised.value.kind is DeliveryFailure.TEMPORARY and server.messages == []


@pytest.mark.parametrize(
    ("reply", "at", "kind"),
    [
        ("550 5.1.1 No such user", "rcpt", DeliveryFailure.INVALID_DESTINATION),  # dropped: never retried
        ("451 4.3.0 Try again later", "rcpt", DeliveryFailure.TEMPORARY),
        ("452 4.3.1 Insufficient storage", "data", DeliveryFailure.TEMPORARY),
        ("554 5.7.1 Rejected", "data", DeliveryFailure.TEMPORARY),
    ],
)
def test_refusals_say_whether_to_retry(local_smtp: LocalSmtp, reply: str, at: str, kind: DeliveryFailure) -> None:
    local_smtp.refuse_next(reply, at=at)  # type: ignore[arg-type]
    with pytest.raises(EmailDeliveryError) as raised:
        gateway_for(local_smtp).send_mail(MAIL)
    assert raised.value.kind is kind
    assert "ada@example.com" not in str(raised.value)  # the detail (logged) names no address
    gateway_for(local_smtp).send_mail(MAIL)  # only the next one was refused
    assert len(local_smtp.messages) == 1


def test_a_silent_server_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
        gateway = SmtpGateway("127.0.0.1", silent.getsockname()[1], "sms2fa@example.com", security="none", timeout=0.5)
        with pytest.raises(EmailDeliveryError) as raised:
            gateway.send_mail(MAIL)
        assert raised.value.kind is DeliveryFailure.TEMPORARY
        for connection in accepted:
            connection.close()


def test_sign_up_over_real_smtp_and_redis(
    tmp_path: Path, real_redis: redis.Redis, database: Database, local_smtp: LocalSmtp
) -> None:
    services = build_services(
        make_settings(tmp_path, **local_smtp.settings()),
        clock=FakeClock(),
        redis_client=real_redis,
        database=database,
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
    )
    assert services.accounts.sign_up("Ada@Example.com", PASSWORD, PASSWORD, "203.0.113.9").check_email
    services.jobs.drain()  # the sign-up job, then its mail
    link = local_smtp.wait_for("ada@example.com").link_to("/verify-email")
    assert services.accounts.log_in("ada@example.com", PASSWORD).outcome is LoginOutcome.INVALID_CREDENTIALS
    assert services.verification.confirm(link.split("token=", 1)[1])
    assert services.accounts.log_in("ada@example.com", PASSWORD).outcome is LoginOutcome.AUTHENTICATED
    services.jobs.drain()  # the new link the first login queued: the address is confirmed by now, so none
    assert services.jobs.pending() == 0
