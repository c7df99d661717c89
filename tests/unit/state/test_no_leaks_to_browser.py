"""Nothing secret reaches the browser: no code, no code hash, and (outside the number being typed) no whole phone."""

from __future__ import annotations

import json

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.services import Services
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import Operation
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import client_dict, deliver, make_state, run, settings_page

OLD_PHONE = "+14155551212"
NEW_PHONE = "+14155552671"
TYPED_FIELDS = ("phone_input", "phone_preview")


def redis_values(redis_client) -> set[str]:
    """Every string stored in Redis (code hashes, proofs, counters' members)."""
    values: set[str] = set()
    for key in redis_client.keys("*"):
        kind = redis_client.type(key)
        if kind == "string":
            values.add(redis_client.get(key))
        elif kind == "hash":
            values.update(redis_client.hvals(key))
        elif kind == "list":
            values.update(redis_client.lrange(key, 0, -1))
    return {value for value in values if value and len(value) >= 16}


def browser_view(state, *, drop_typed: bool) -> str:
    """What the browser would receive, as text; optionally without the number the user is typing."""
    view = client_dict(state)
    if drop_typed:
        for substate in view.values():
            for name in list(substate):
                if name.startswith(TYPED_FIELDS):
                    substate.pop(name)
    return json.dumps(view, default=str)


def assert_clean(
    state, gateway: RecordingGateway, redis_client, *, phones: list[str], drop_typed: bool = False
) -> None:
    text = browser_view(state, drop_typed=drop_typed)
    assert "phone_ending" in text or "resend_at" in text  # the view really holds the states' vars
    for sent in gateway.sent:
        assert sent.code not in text
    for secret in redis_values(redis_client):
        assert secret not in text
    for phone in phones:
        assert phone not in text and phone[2:] not in text


async def test_login_challenge_sends_no_code_hash_or_whole_phone(
    services: Services, gateway: RecordingGateway, redis_client
) -> None:
    create_user(services, phone=OLD_PHONE)
    login = make_state(LoginState)
    await run(login.log_in({"email": "ada@example.com", "password": PASSWORD}))
    challenge = await login.get_state(ChallengeState)
    assert_clean(challenge, gateway, redis_client, phones=[OLD_PHONE])
    await run(challenge.load())
    assert_clean(challenge, gateway, redis_client, phones=[OLD_PHONE])
    await run(challenge.verify({"code": "000000" if gateway.sent[-1].code != "000000" else "111111"}))
    assert_clean(challenge, gateway, redis_client, phones=[OLD_PHONE])
    await run(challenge.verify({"code": gateway.sent[-1].code}))
    assert_clean(challenge, gateway, redis_client, phones=[OLD_PHONE])


async def test_settings_wizard_echoes_only_the_number_being_typed(
    services: Services, gateway: RecordingGateway, redis_client, clock
) -> None:
    create_user(services, phone=OLD_PHONE)
    state = settings_page()
    pending = services.accounts.log_in("ada@example.com", PASSWORD).issued
    signed_in = services.sessions.advance(pending.token, (Amr.SMS,))
    await deliver(state, session_token=signed_in.token)
    checks = [
        state.load(),
        state.start(Operation.CHANGE_NUMBER),
        state.confirm_password({"password": PASSWORD}),
    ]
    for handler in checks:
        await run(handler)
        assert_clean(state, gateway, redis_client, phones=[OLD_PHONE, NEW_PHONE], drop_typed=True)
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))
    clock.advance(services.settings.otp_resend_cooldown_seconds)
    state.set_phone_input(NEW_PHONE)
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    assert_clean(state, gateway, redis_client, phones=[OLD_PHONE, NEW_PHONE], drop_typed=True)
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert_clean(state, gateway, redis_client, phones=[OLD_PHONE, NEW_PHONE], drop_typed=True)
    assert state.two_factor_enabled and state.phone_ending == "2671"


async def test_the_reset_page_sends_no_code_token_hash_or_whole_phone(
    services: Services, gateway: RecordingGateway, mailer, redis_client
) -> None:
    from sms2fa_app.state.password_reset import ResetPasswordState
    from tests.support.states import open_at

    create_user(services, phone=OLD_PHONE)
    services.password_resets.request("ada@example.com", "203.0.113.9")
    services.jobs.drain()
    link = mailer.last_link("ada@example.com", "/reset-password")
    page = make_state(ResetPasswordState)
    open_at(page, link)
    steps = [page.load(), page.send_code({}), page.verify_factor({"code": "000000"})]
    for step in steps:
        await run(step)
        view = json.dumps(client_dict(page)[page.get_full_name()], default=str)
        assert link.split("token=")[1] not in view
        for sent in gateway.sent:
            assert sent.code not in view
        for secret in redis_values(redis_client):
            assert secret not in view
        assert OLD_PHONE not in view and OLD_PHONE[2:] not in view and page.phone_ending == "1212"
