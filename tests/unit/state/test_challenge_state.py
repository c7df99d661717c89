"""The login challenge: code sent at once, every message path, cooldown from the server, guards."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.factors.sms_codes import Purpose
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.login import LoginState
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import deliver, make_state, redirect_path, resend_wait, run

PHONE = "+14155551212"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def login(services: Services) -> ChallengeState:
    """Password step through LoginState, then the challenge page's load (which texts the first code);
    returns the ChallengeState of the same tree."""
    state = make_state(LoginState)
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert redirect_path(events) == "/2fa-challenge"
    challenge = await state.get_state(ChallengeState)
    # No events but the live delivery status's watch, where the gateway reports deliveries (issue 15).
    assert await run(challenge.load()) in ([], [ChallengeState.watch_delivery])
    return challenge


@pytest.fixture
def enrolled(services: Services):
    return create_user(services, phone=PHONE)


async def test_the_challenge_page_texts_a_code_at_once_and_shows_only_the_ending(
    services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled
) -> None:
    state = make_state(LoginState)
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert gateway.sent == []  # the password step only hashes; the page it leads to texts the code
    challenge = await state.get_state(ChallengeState)
    await run(challenge.load())
    assert [text.to for text in gateway.sent] == [PHONE]
    assert challenge.phone_ending == "1212"
    assert resend_wait(challenge, clock) == services.settings.otp_resend_cooldown_seconds
    assert services.sessions.resolve(challenge._session_token).awaiting_second_factor
    await run(challenge.load())  # a reload texts nothing new while the code is pending
    assert len(gateway.sent) == 1 and resend_wait(challenge, clock) == services.settings.otp_resend_cooldown_seconds


async def test_right_code_rotates_the_token_and_redirects(
    services: Services, gateway: RecordingGateway, enrolled
) -> None:
    challenge = await login(services)
    pending_token = challenge._session_token
    events = await run(challenge.verify({"code": gateway.sent[-1].code}))
    assert redirect_path(events) == "/dashboard"
    assert challenge._session_token != pending_token
    assert services.sessions.resolve(pending_token) is None
    assert services.sessions.resolve(challenge._session_token).is_authenticated
    assert challenge.error == "" and not challenge.verifying


async def test_code_typed_with_spaces_is_accepted(services: Services, gateway: RecordingGateway, enrolled) -> None:
    challenge = await login(services)
    code = gateway.sent[-1].code
    events = await run(challenge.verify({"code": f" {code[:3]} {code[3:]} "}))
    assert redirect_path(events) == "/dashboard"


async def test_wrong_code_says_tries_left_then_burns(services: Services, gateway: RecordingGateway, enrolled) -> None:
    challenge = await login(services)
    code = gateway.sent[-1].code
    for left in (4, 3, 2):
        await run(challenge.verify({"code": wrong(code)}))
        assert challenge.error == f"That code isn't right. {left} tries left."
    await run(challenge.verify({"code": wrong(code)}))
    assert challenge.error_id == "challenge.sms.wrong"
    await run(challenge.verify({"code": wrong(code)}))
    assert challenge.error_id == "challenge.sms.exhausted"
    assert challenge.code_expires_at == 0  # the page asks for a new code instead of counting its expiry
    events = await run(challenge.verify({"code": code}))
    assert redirect_path(events) is None
    assert challenge.error_id == "challenge.code_expired"
    assert services.sessions.resolve(challenge._session_token).awaiting_second_factor


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12345x"])
async def test_malformed_code_is_refused_and_costs_no_try(
    services: Services, gateway: RecordingGateway, enrolled, typed: str
) -> None:
    challenge = await login(services)
    await run(challenge.verify({"code": typed}))
    assert challenge.error_id == "challenge.sms.malformed"
    await run(challenge.verify({"code": wrong(gateway.sent[-1].code)}))
    assert challenge.error_id == "challenge.sms.wrong"


async def test_a_copy_of_the_code_that_lost_the_race_is_told_it_was_used_not_locked(
    services: Services, gateway: RecordingGateway, enrolled
) -> None:
    challenge = await login(services)
    code = gateway.sent[-1].code
    session = services.sessions.resolve(challenge._session_token)
    winner = services.otp.verify_code(
        purpose=Purpose.LOGIN, user_id=session.user_id, session_id=session.session_id, code=code
    )  # a parallel request with the same code got there first
    assert winner.ok
    await run(challenge.verify({"code": code}))
    assert challenge.error_id == words.message_id(
        words.challenge.verify_failed(VerifyResult(VerifyStatus.ALREADY_USED), Factor.SMS)
    )
    assert challenge.error not in (words.challenge.locked(Factor.SMS), words.challenge.CODE_EXPIRED)
    assert challenge.locked_until == 0 and challenge.code_expires_at == 0


async def test_expired_code(services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled) -> None:
    challenge = await login(services)
    clock.advance(services.settings.otp_ttl_seconds + 1)
    await run(challenge.verify({"code": gateway.sent[-1].code}))
    assert challenge.error_id == "challenge.code_expired"


async def test_resend_is_refused_by_the_server_during_the_cooldown(
    services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled
) -> None:
    challenge = await login(services)
    clock.advance(20)
    await run(challenge.resend({}))
    assert challenge.error_id == "challenge.send.cooldown"
    assert resend_wait(challenge, clock) == 40
    assert len(gateway.sent) == 1


async def test_resend_after_the_cooldown_replaces_the_code(
    services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled
) -> None:
    challenge = await login(services)
    old = gateway.sent[-1].code
    clock.advance(services.settings.otp_resend_cooldown_seconds)
    await run(challenge.resend({}))
    assert challenge.error == ""
    assert challenge.notice_id == "challenge.code_sent"
    assert resend_wait(challenge, clock) == services.settings.otp_resend_cooldown_seconds
    new = gateway.sent[-1].code
    if new != old:
        await run(challenge.verify({"code": old}))
        assert "isn't right" in challenge.error
    assert redirect_path(await run(challenge.verify({"code": new}))) == "/dashboard"


async def test_reload_shows_the_true_remaining_cooldown(services: Services, clock: FakeClock, enrolled) -> None:
    challenge = await login(services)
    clock.advance(17)
    challenge.resend_at = 0  # a fresh page knows nothing
    await run(challenge.load())
    assert resend_wait(challenge, clock) == services.settings.otp_resend_cooldown_seconds - 17


async def test_hourly_limit_message(services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled) -> None:
    challenge = await login(services)
    for _ in range(services.settings.otp_sends_per_hour_per_user - 1):
        clock.advance(services.settings.otp_resend_cooldown_seconds)
        await run(challenge.resend({}))
        assert challenge.error == ""
    clock.advance(services.settings.otp_resend_cooldown_seconds)
    await run(challenge.resend({}))
    assert challenge.error.startswith("You've asked for too many codes. Try again in ")


async def test_sending_failure_message_and_retry(
    services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled
) -> None:
    gateway.fail_next(DeliveryFailure.TEMPORARY)
    challenge = await login(services)
    assert challenge.error_id == "challenge.send.delivery_failed"
    assert challenge.resend_at == 0  # the cooldown did not start
    await run(challenge.resend({}))
    assert challenge.error == "" and len(gateway.sent) == 1


async def test_lockout_message(services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled) -> None:
    challenge = await login(services)
    for _ in range(services.settings.otp_lockout_threshold):
        if "Request a new code" in challenge.error:
            clock.advance(services.settings.otp_resend_cooldown_seconds)
            await run(challenge.resend({}))
        await run(challenge.verify({"code": wrong(gateway.sent[-1].code)}))
    assert challenge.error_id == "challenge.locked.sms"
    lock = services.settings.otp_lockout_base_seconds
    assert challenge.locked_until == round((clock.now() + lock) * 1000)  # the page counts it down, Verify waits


async def test_double_submit_is_ignored(services: Services, gateway: RecordingGateway, enrolled) -> None:
    challenge = await login(services)
    challenge.verifying = True
    assert await run(challenge.verify({"code": gateway.sent[-1].code})) == []
    challenge.resending = True
    assert await run(challenge.resend({})) == []
    assert len(gateway.sent) == 1


async def test_challenge_without_a_pending_session_goes_to_login(services: Services) -> None:
    challenge = make_state(ChallengeState)
    assert redirect_path(await run(challenge.load())) == "/login"
    await deliver(challenge, session_token="forged")
    assert redirect_path(await run(challenge.verify({"code": "123456"}))) == "/login"
    assert redirect_path(await run(challenge.resend({}))) == "/login"


async def test_authenticated_user_never_sees_the_challenge_again(
    services: Services, gateway: RecordingGateway, enrolled
) -> None:
    challenge = await login(services)
    await run(challenge.verify({"code": gateway.sent[-1].code}))
    assert redirect_path(await run(challenge.load())) == "/dashboard"


async def test_pending_session_cannot_reach_protected_pages(services: Services, enrolled) -> None:
    challenge = await login(services)
    assert redirect_path(await run(challenge.require_authenticated())) == "/2fa-challenge"


async def test_pending_stage_expires_after_ten_minutes(
    services: Services, gateway: RecordingGateway, clock: FakeClock, enrolled
) -> None:
    challenge = await login(services)
    clock.advance(services.settings.pending_2fa_seconds)
    assert redirect_path(await run(challenge.verify({"code": gateway.sent[-1].code}))) == "/login"


async def test_redirects_to_the_page_first_asked_for(services: Services, gateway: RecordingGateway, enrolled) -> None:
    state = make_state(LoginState)
    challenge = await state.get_state(ChallengeState)
    await deliver(state, session_token=services.accounts.log_in("ada@example.com", PASSWORD).issued.token)
    state.next_path = "/settings"  # what the password step kept from /login?next=/settings
    await run(challenge.load())
    assert redirect_path(await run(challenge.verify({"code": gateway.sent[-1].code}))) == "/settings"


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil", "/login"])
async def test_next_path_must_be_same_site(services: Services, gateway: RecordingGateway, enrolled, target) -> None:
    state = make_state(LoginState)
    challenge = await state.get_state(ChallengeState)
    await deliver(state, session_token=services.accounts.log_in("ada@example.com", PASSWORD).issued.token)
    state.next_path = target  # whatever the state holds, only a same-site path is followed
    await run(challenge.load())
    assert redirect_path(await run(challenge.verify({"code": gateway.sent[-1].code}))) == "/dashboard"


async def test_backend_outage_fails_closed(
    services: Services, gateway: RecordingGateway, enrolled, monkeypatch
) -> None:
    challenge = await login(services)

    def down(**_kwargs):
        raise ServiceUnavailable("redis unavailable")

    monkeypatch.setattr(services.otp, "verify_code", down)
    events = await run(challenge.verify({"code": gateway.sent[-1].code}))
    assert redirect_path(events) is None
    assert challenge.error_id == "common.service_unavailable"
    assert services.sessions.resolve(challenge._session_token).awaiting_second_factor
