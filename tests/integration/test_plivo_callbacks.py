"""Plivo calling the app back, over HTTP: the app's routes served on a socket, the real SDK sending texts and
placing calls to LocalPlivo, and LocalPlivo POSTing signed delivery reports and fetching the voice answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import redis
from sqlmodel import SQLModel

from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH
from sms2fa_app.backend.delivery.status import Channel, Delivery, DeliveryState
from sms2fa_app.backend.factors.results import VerifyStatus
from sms2fa_app.backend.factors.sms_codes import CodeSent, Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.services import Services, build_services, set_services
from tests.conftest import make_settings
from tests.support.asgi_server import AsgiServer
from tests.support.plivo_server import LocalPlivo
from tests.support.plivo_signing import NONCE_HEADER, SIGNATURE_HEADER, new_nonce, post_form, post_signed, v3_signature

PHONE = "+16502531212"
USER, SESSION = 7, 70
BINDING = f"login:{USER}:{SESSION}"
MAX_AGE = 600


@pytest.fixture
def app_server() -> Iterator[AsgiServer]:
    with AsgiServer(api_app()) as server:
        yield server


@pytest.fixture
def services(
    tmp_path: Path, real_redis: redis.Redis, local_plivo: LocalPlivo, app_server: AsgiServer, clock: FakeClock
) -> Iterator[Services]:
    """The app's backend, reached by Plivo at the served routes (APP_URL), sending through LocalPlivo."""
    with served_backend(
        tmp_path, real_redis, clock, **local_plivo.settings(), APP_URL=app_server.url,
        PLIVO_CALLBACK_MAX_AGE_SECONDS=str(MAX_AGE),
    ) as built:  # fmt: skip
        yield built


@contextmanager
def served_backend(tmp_path: Path, real_redis: redis.Redis, clock: FakeClock, **settings: str) -> Iterator[Services]:
    """The backend with these settings and a database on disk, as the served routes see it (set_services)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'callbacks.db'}")
    SQLModel.metadata.create_all(engine)
    built = build_services(
        make_settings(tmp_path, **settings), clock=clock, redis_client=real_redis, database=Database(engine)
    )
    set_services(built)
    try:
        yield built
    finally:
        set_services(None)


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def send(services: Services, channel: Channel = Channel.SMS) -> CodeSent:
    sent = services.otp.request_code(
        purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, phone=PHONE, client_ip="203.0.113.7", channel=channel
    )
    assert isinstance(sent, CodeSent), sent
    return sent


def status_url(services: Services, issued_at: float | None = None) -> str:
    """The status URL as the app hands it to Plivo (issued now, or at `issued_at`)."""
    issued = int(services.clock.now() if issued_at is None else issued_at)
    return f"{services.settings.base_url}{MESSAGE_STATUS_PATH}?{urlencode({'t': issued})}"


def report(message_uuid: str, status: str, error_code: str = "") -> dict[str, str]:
    return {"MessageUUID": message_uuid, "Status": status, "ErrorCode": error_code, "To": PHONE[1:], "Units": "1"}


def test_signed_delivery_reports_are_accepted_and_shown_as_the_latest_state(
    services: Services, local_plivo: LocalPlivo
) -> None:
    send(services)
    (message,) = local_plivo.messages
    wait_for(lambda: len(local_plivo.reports) == 3)
    reports = local_plivo.reports
    assert [(r["status"], r["reply"]) for r in reports] == [("queued", 200), ("sent", 200), ("delivered", 200)]
    url = urlsplit(reports[0]["url"])
    assert f"{url.scheme}://{url.netloc}" == services.settings.base_url and url.path == MESSAGE_STATUS_PATH
    assert parse_qs(url.query)["t"] == [str(int(services.clock.now()))]  # issue time, inside the signed URL
    assert services.deliveries.latest(BINDING) == Delivery(Channel.SMS, DeliveryState.DELIVERED)
    assert message["text"].endswith(f"@127.0.0.1 #{local_plivo.last_code_for(PHONE)}")  # host of APP_URL


def test_an_undelivered_text_records_the_error_code_and_gives_back_the_cooldown(
    services: Services, local_plivo: LocalPlivo
) -> None:
    local_plivo.deliver_next("undelivered", error_code="30")
    send(services)
    assert services.otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) > 0
    wait_for(lambda: len(local_plivo.reports) == 3)
    assert services.deliveries.latest(BINDING) == Delivery(Channel.SMS, DeliveryState.UNDELIVERED, "30")
    assert services.otp.resend_wait(user_id=USER, purpose=Purpose.LOGIN) == 0  # ask for a call at once


def test_unsigned_forged_stale_and_replayed_reports_are_refused(
    services: Services, local_plivo: LocalPlivo, clock: FakeClock
) -> None:
    local_plivo.hold_reports = True
    send(services)
    (message,) = local_plivo.messages
    uuid, token = message["message_uuid"], local_plivo.auth_token
    url = status_url(services)
    delivered = report(uuid, "delivered")

    assert post_form(url, delivered, {}).status == 403  # unsigned
    assert post_form(url, delivered, {SIGNATURE_HEADER: "x" * 44}).status == 403  # no nonce: unsigned
    nonce = new_nonce()
    forged = {SIGNATURE_HEADER: v3_signature("not-the-token", "POST", url, delivered, nonce), NONCE_HEADER: nonce}
    assert post_form(url, delivered, forged).status == 403
    signature = v3_signature(token, "POST", url, report(uuid, "failed"), nonce)  # signed for other parameters
    assert post_form(url, delivered, {SIGNATURE_HEADER: signature, NONCE_HEADER: nonce}).status == 403
    old = status_url(services, clock.now() - MAX_AGE - 1)
    assert post_signed(token, old, delivered).status == 403  # stale: signed, but issued too long ago
    assert services.deliveries.latest(BINDING) == Delivery(Channel.SMS, DeliveryState.QUEUED)  # nothing applied

    sent_nonce = new_nonce()
    assert post_signed(token, url, report(uuid, "sent"), nonce=sent_nonce).status == 200
    assert services.deliveries.latest(BINDING).state is DeliveryState.SENT
    assert post_signed(token, url, report(uuid, "sent"), nonce=sent_nonce).status == 403  # replayed
    clock.advance(MAX_AGE + 1)  # the nonce is forgotten only once the URL itself is stale
    assert post_signed(token, url, report(uuid, "delivered"), nonce=sent_nonce).status == 403
    assert services.deliveries.latest(BINDING).state is DeliveryState.SENT


def test_reports_never_move_a_state_backwards(services: Services, local_plivo: LocalPlivo) -> None:
    local_plivo.hold_reports = True
    send(services)
    uuid, token, url = local_plivo.messages[0]["message_uuid"], local_plivo.auth_token, status_url(services)
    for status in ("delivered", "sent", "queued", "failed"):  # late and duplicate reports change nothing
        assert post_signed(token, url, report(uuid, status)).status == 200
    assert services.deliveries.latest(BINDING) == Delivery(Channel.SMS, DeliveryState.DELIVERED)
    assert post_signed(token, url, report("no-such-message", "failed")).status == 200  # genuine, unknown: ignored


def test_call_me_instead_reads_the_code_that_then_verifies(services: Services, local_plivo: LocalPlivo) -> None:
    send(services)
    texted = local_plivo.last_code_for(PHONE)
    assert send_call(services).channel is Channel.VOICE
    wait_for(lambda: local_plivo.last_call_code_for(PHONE) is not None)
    (call,) = local_plivo.calls
    spoken = local_plivo.last_call_code_for(PHONE)
    assert call["reply"] == 200 and spoken != texted
    assert "<Speak" in call["xml"] and spoken not in call["answer_url"]  # the code is in the answer, not the URL
    assert services.deliveries.latest(BINDING) == Delivery(Channel.VOICE, DeliveryState.DELIVERED)  # answered
    verify = services.otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, code=texted or "")
    assert verify.status is VerifyStatus.WRONG  # the call replaced the texted code
    verify = services.otp.verify_code(purpose=Purpose.LOGIN, user_id=USER, session_id=SESSION, code=spoken or "")
    assert verify.status is VerifyStatus.OK


def send_call(services: Services) -> CodeSent:
    services.clock.advance(services.settings.otp_resend_cooldown_seconds)  # calls share the texts' cooldown
    return send(services, Channel.VOICE)


def test_the_answer_xml_is_served_to_signed_requests_only_and_once(services: Services, local_plivo: LocalPlivo) -> None:
    local_plivo.hold_answers = True
    send(services, Channel.VOICE)
    (call,) = local_plivo.calls
    params = {"CallUUID": "c-1", "RequestUUID": call["request_uuid"], "To": PHONE[1:], "CallStatus": "in-progress"}
    assert post_form(call["answer_url"], params, {}).status == 403  # unsigned: no XML, the code stays
    nonce = new_nonce()
    forged = v3_signature("not-the-token", "POST", call["answer_url"], params, nonce)
    assert post_form(call["answer_url"], params, {SIGNATURE_HEADER: forged, NONCE_HEADER: nonce}).status == 403

    answered = local_plivo.answer(call["request_uuid"])  # Plivo itself, signed
    assert answered["reply"] == 200 and local_plivo.last_call_code_for(PHONE) is not None
    again = post_signed(local_plivo.auth_token, call["answer_url"], params)  # genuine, but the code was taken
    assert again.status == 200 and "<Hangup" in again.body and "<Speak" in again.body
    assert not any(character.isdigit() for character in again.body.replace("Speak", ""))
