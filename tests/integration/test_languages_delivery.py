"""Mails, texts and calls go out in the recipient's language (issue 26): over real SMTP, the Plivo SDK against the
local Plivo server, and real Redis. A user who chose Hindi gets the notice mail and the code text in Hindi, the
text one UCS-2 segment; a user without a choice gets texts in the language of the phone's country."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.delivery.code_text import message_text
from sms2fa_app.backend.delivery.letter_words import NOTICES
from sms2fa_app.backend.delivery.segments import Encoding, count_segments
from sms2fa_app.backend.delivery.status import Channel
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose
from sms2fa_app.backend.identity.languages import LanguageChange
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.services import Services, build_services, set_services
from sms2fa_app.backend.vocabulary import EventKind
from tests.conftest import FAST_HASHER, make_settings
from tests.integration.test_plivo_callbacks import wait_for
from tests.support.asgi_server import AsgiServer
from tests.support.factories import create_user
from tests.support.plivo_server import LocalPlivo
from tests.support.smtp_server import LocalSmtp

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
US_PHONE = "+16502531212"
INDIAN_PHONE = "+919876543210"


@pytest.fixture
def services(
    tmp_path: Path,
    real_redis: redis.Redis,
    database: Database,
    local_plivo: LocalPlivo,
    local_smtp: LocalSmtp,
    clock: FakeClock,
) -> Iterator[Services]:
    """The backend sending texts through LocalPlivo and mails through LocalSmtp; Plivo reaches its routes."""
    with AsgiServer(api_app()) as app_server:
        settings = make_settings(tmp_path, **local_plivo.settings(), **local_smtp.settings(), APP_URL=app_server.url)
        built = build_services(settings, clock=clock, redis_client=real_redis, database=database, hasher=FAST_HASHER)
        set_services(built)
        yield built
        set_services(None)


def request_code(services: Services, user_id: int, phone: str, channel: Channel = Channel.SMS) -> CodeSent:
    """A code as the app's flows ask for one: with the user's stored language, read from the row they hold."""
    sent = services.otp.request_code(
        purpose=Purpose.LOGIN,
        user_id=user_id,
        session_id=1,
        phone=phone,
        client_ip="203.0.113.7",
        channel=channel,
        user_locale=services.languages.choice(user_id),
    )
    assert isinstance(sent, CodeSent), sent
    return sent


def test_a_user_who_chose_hindi_gets_the_mail_and_the_text_in_hindi(
    services: Services, local_plivo: LocalPlivo, local_smtp: LocalSmtp
) -> None:
    user = create_user(services, "asha@example.com", phone=US_PHONE)  # a US number: the choice wins over the country
    assert services.languages.choose(user.id, "hi") is LanguageChange.SAVED

    with services.database.session() as tx:
        services.activity.record(tx, user.id, EventKind.TWO_FACTOR_ON)
    services.jobs.drain()
    mail = local_smtp.wait_for("asha@example.com")
    assert mail.subject == f"sms2fa: {NOTICES[EventKind.TWO_FACTOR_ON].subject('hi')}"
    assert NOTICES[EventKind.TWO_FACTOR_ON].sentence("hi", app="sms2fa") in mail.text
    assert DEVANAGARI.search(mail.subject) and DEVANAGARI.search(mail.html)

    request_code(services, user.id, US_PHONE)
    text = local_plivo.messages[-1]["text"]
    code = local_plivo.last_code_for(US_PHONE) or ""
    settings = services.settings
    assert text == message_text(settings.app_name, code, settings.otp_ttl_seconds, settings.site_host, "hi")
    assert DEVANAGARI.search(text) and text.endswith(f"@{settings.site_host} #{code}")
    counted = count_segments(text)
    assert (counted.encoding, counted.segments) == (Encoding.UCS2, 1), counted


def test_without_a_choice_a_text_and_a_call_speak_the_language_of_the_phones_country(
    services: Services, local_plivo: LocalPlivo
) -> None:
    indian = create_user(services, "ravi@example.com", phone=INDIAN_PHONE)
    american = create_user(services, "ada@example.com", phone=US_PHONE)

    request_code(services, indian.id, INDIAN_PHONE)
    assert DEVANAGARI.search(local_plivo.messages[-1]["text"])
    request_code(services, american.id, US_PHONE)
    assert local_plivo.messages[-1]["text"].startswith("Your sms2fa code is ")

    services.clock.advance(services.settings.otp_resend_cooldown_seconds)
    request_code(services, indian.id, INDIAN_PHONE, Channel.VOICE)
    wait_for(lambda: local_plivo.last_call_code_for(INDIAN_PHONE) is not None)
    (call,) = local_plivo.calls
    assert 'language="hi-IN"' in call["xml"] and DEVANAGARI.search(call["xml"])
