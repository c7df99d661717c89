"""The one handler guard: arguments of the wrong type or size, outages and bugs never reach the browser as
exceptions; slow work runs without the state lock; waits are deadlines the server sends once."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import pytest

from sms2fa_app.backend.assurance import Amr
from sms2fa_app.backend.delivery import phone as phone_module
from sms2fa_app.backend.factors.passkeys import MAX_CREDENTIAL_JSON_LENGTH
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.errors import AppErrorState, on_backend_error
from sms2fa_app.state.guard import clean_browser_json
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.password_reset import ResetPasswordState
from sms2fa_app.state.settings import Operation, SettingsState, SmsSetupState, Step, WizardState
from sms2fa_app.state.signup import SignupState
from tests.support import reflex_internals
from tests.support.factories import PASSWORD, create_user
from tests.support.states import StatePage, deliver, make_state, redirect_path, run, settings_page

PHONE = "+14155551212"


async def signed_in_page(services: Services) -> StatePage:
    create_user(services)
    page = settings_page()
    await deliver(page, session_token=services.accounts.log_in("ada@example.com", PASSWORD).issued.token)
    assert await run(page.load()) == []
    return page


@pytest.mark.parametrize(
    "form_data",
    [
        ["email", "password"],
        "ada@example.com",
        None,
        42,
        {"email": ["a"]},
        {"email": "x" * 5000},
        {i: "x" for i in range(3)},
    ],
)
async def test_a_form_of_the_wrong_shape_gets_a_short_message_and_changes_nothing(
    services: Services, form_data: Any
) -> None:
    create_user(services)
    state = make_state(LoginState)
    events = await run(state.log_in(form_data))
    assert events == [] and state.error_id == words.common.INVALID_REQUEST.id
    assert state._session_token == "" and not state.loading
    signup = make_state(SignupState)
    assert await run(signup.sign_up(form_data)) == []
    assert words.message_id(signup.form_error) == words.common.INVALID_REQUEST.id and signup._session_token == ""


@pytest.mark.parametrize("answer", [None, 7, {"id": "x"}, ["a"], "x" * (MAX_CREDENTIAL_JSON_LENGTH + 1)])
async def test_a_browser_answer_must_be_bounded_text(services: Services, answer: Any) -> None:
    """A WebAuthn credential is longer than a form field, so it has its own bound (and only text passes)."""
    state = make_state(LoginState)
    assert await run(state.finish_passkey_sign_in(answer)) == []
    assert state.error_id == words.common.INVALID_REQUEST.id and not state.passkey_busy
    assert clean_browser_json("x" * MAX_CREDENTIAL_JSON_LENGTH) == "x" * MAX_CREDENTIAL_JSON_LENGTH


async def test_a_field_the_page_did_not_render_is_empty(services: Services) -> None:
    """Reflex sends a form input that is not on the page (a step's optional code field) as null."""
    create_user(services)
    state = make_state(LoginState)
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD, "code": None}))
    assert state.error == "" and state._session_token != ""


async def test_unknown_or_missing_arguments_are_refused(services: Services) -> None:
    state = make_state(LoginState)
    assert await run(state.log_in({"email": "a"}, {"extra": "b"})) == []
    assert state.error_id == words.common.INVALID_REQUEST.id
    state.error = ""
    assert await run(state.log_in(form_data={"email": "a"}, admin=True)) == []
    assert state.error_id == words.common.INVALID_REQUEST.id


async def test_a_token_that_is_not_text_is_no_session(services: Services) -> None:
    page = await signed_in_page(services)
    await deliver(page, session_token={"$ne": ""})  # the browser can put anything in localStorage
    events = await run(page.start(Operation.ENABLE_SMS))
    assert redirect_path(events) == "/login" and page.step == Step.STATUS
    challenge = make_state(ChallengeState)
    await deliver(challenge, session_token=["token"])
    assert redirect_path(await run(challenge.load())) == "/login"


@pytest.mark.parametrize("device_id", ["²", "١", "-1", "1e3", "9" * 40, ""])
async def test_device_ids_other_than_ascii_digits_forget_nothing(services: Services, device_id: str) -> None:
    page = await signed_in_page(services)
    services.devices.remember(1, "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36")
    await run(page.load())
    await run(page.forget_device(device_id))
    assert page.error == "" and len(page.devices) == 1


async def test_an_outage_when_starting_a_change_is_a_message(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = await signed_in_page(services)

    def down(*_args: object) -> None:
        raise ServiceUnavailable("redis down")

    monkeypatch.setattr(services.factor_changes, "begin", down)
    assert await run(page.start(Operation.ENABLE_SMS)) == []
    assert page.error_id == words.common.SERVICE_UNAVAILABLE.id and not page.busy and page.step == Step.STATUS


async def test_a_bug_is_logged_and_shown_as_a_short_message(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    page = await signed_in_page(services)

    def bug(*_args: object) -> None:
        raise KeyError("internal detail 0xdeadbeef")

    monkeypatch.setattr(services.factor_changes, "begin", bug)
    assert await run(page.start(Operation.ENABLE_SMS)) == []
    assert page.error_id == words.common.SERVICE_UNAVAILABLE.id and "deadbeef" not in page.error
    assert "event=handler_failed handler=start" in caplog.text and "deadbeef" in caplog.text


async def test_the_app_wide_error_handler_never_shows_the_exception() -> None:
    spec = on_backend_error(ValueError("secret detail 0xdeadbeef"))
    assert "deadbeef" not in str(spec)
    assert spec.handler.fn.__qualname__ == "AppErrorState.show_unavailable" and not spec.args
    banner = make_state(AppErrorState)
    banner.show_unavailable()
    assert words.message_id(banner.message) == words.common.SERVICE_UNAVAILABLE.id
    banner.dismiss()
    assert banner.message == ""


def test_reflex_sees_each_handler_with_its_public_arguments_only() -> None:
    for state_class, name, expected in [
        (WizardState, "start", ["operation"]),
        (WizardState, "confirm_password", ["form_data"]),
        (SmsSetupState, "send_enroll_code", ["form_data"]),
        (SettingsState, "forget_device", ["device_id"]),
        (ChallengeState, "resend", ["form_data"]),
        (ChallengeState, "call_me", ["form_data"]),
        (WizardState, "resend_code", ["form_data"]),
        (ResetPasswordState, "send_code", ["form_data"]),
        (LoginState, "log_in", ["form_data"]),
        (LoginState, "finish_passkey_sign_in", ["answer"]),
        (ChallengeState, "finish_passkey", ["answer"]),
    ]:
        handler = state_class.event_handlers[name]
        assert list(inspect.signature(handler.fn).parameters)[1:] == expected, name
        assert inspect.isasyncgenfunction(handler.fn)


async def test_a_busy_handler_ignores_a_second_call(services: Services) -> None:
    page = await signed_in_page(services)
    page.busy = True
    assert await run(page.start(Operation.ENABLE_SMS)) == []
    assert page.step == Step.STATUS


def test_the_phone_cache_holds_only_bounded_input() -> None:
    phone_module._parse_phone_cached.cache_clear()
    for index in range(300):
        refused = phone_module.parse_phone(f"+1 415 555 {index:04d}" + " " * 100_000)
        assert refused == phone_module.PhoneRejected(phone_module.PhoneProblem.INVALID_NUMBER)
    assert phone_module._parse_phone_cached.cache_info().currsize == 0
    phone_module.parse_phone(["+14155551212"])  # not text at all
    assert phone_module._parse_phone_cached.cache_info().currsize == 0


# ---- slow handlers and the countdown ------------------------------------------------------------


class _Locked:
    """Stands in for Reflex's state proxy around a background handler: `async with self` takes the lock,
    writes outside it fail (as Reflex's ImmutableStateError does), and the lock cycles are counted."""

    def __init__(self, state: Any):
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "locked", False)
        object.__setattr__(self, "cycles", 0)

    async def __aenter__(self) -> _Locked:
        object.__setattr__(self, "locked", True)
        object.__setattr__(self, "cycles", self.cycles + 1)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        object.__setattr__(self, "locked", False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)

    def __setattr__(self, name: str, value: Any) -> None:
        assert self.locked, f"{name} written without the state lock"
        setattr(self._state, name, value)


SLOW = {
    LoginState: ["log_in"],
    SignupState: ["sign_up"],
    ChallengeState: ["load", "resend", "use_method"],
    WizardState: ["confirm_password", "resend_code"],
    SmsSetupState: ["send_enroll_code"],
}


def test_handlers_that_hash_or_text_run_as_background_events_and_no_countdown_handler_is_left() -> None:
    for state_class, names in SLOW.items():
        for name in names:
            assert state_class.event_handlers[name].is_background, name
    assert not ChallengeState.event_handlers["verify"].is_background  # quick calls keep the lock
    for state_class in (ChallengeState, SettingsState, WizardState, SmsSetupState):
        assert "count_down" not in state_class.event_handlers  # no public handler ticks on the server


async def test_the_password_is_hashed_and_the_code_texted_without_the_state_lock(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(services, phone=PHONE)
    login = make_state(LoginState)
    proxy = _Locked(login)
    real_log_in, real_request = services.accounts.log_in, services.otp.request_code

    def log_in(*args: Any) -> Any:
        assert not proxy.locked, "hashed under the state lock"
        return real_log_in(*args)

    def request_code(**kwargs: Any) -> Any:
        assert not challenge_proxy.locked, "texted under the state lock"
        return real_request(**kwargs)

    monkeypatch.setattr(services.accounts, "log_in", log_in)
    monkeypatch.setattr(services.otp, "request_code", request_code)
    form = {"email": "ada@example.com", "password": PASSWORD}
    events = await run(LoginState.event_handlers["log_in"].fn(proxy, form))
    assert redirect_path(events) == "/2fa-challenge" and login._session_token and not login.loading
    assert proxy.cycles == 2  # raise the busy flag; lower it and apply the result
    challenge = await login.get_state(ChallengeState)
    challenge_proxy = _Locked(challenge)
    assert await run(ChallengeState.event_handlers["load"].fn(challenge_proxy)) == []
    assert challenge.phone_ending == "1212" and challenge.resend_at and challenge_proxy.cycles == 1


async def test_the_deadline_is_sent_once_not_ticked(services: Services, clock: Any) -> None:
    state = make_state(ChallengeState)
    state._start_cooldown(30)
    deadline = state.resend_at
    assert deadline == int((clock.now() + 30) * 1000)
    reflex_internals.mark_delivered(state)
    clock.advance(10)
    state._start_cooldown(20)  # the same deadline, seen again later (a reload): nothing to send
    assert state.resend_at == deadline and not state.dirty_vars
    state._start_cooldown(0)
    assert state.resend_at == 0


async def test_late_keystrokes_of_any_type_are_ignored(services: Services) -> None:
    page = await signed_in_page(services)
    page.set_phone_input({"not": "text"})
    assert page.phone_input == ""
    assert services.sessions.resolve(page._token()).is_authenticated


def test_log_lines_name_the_handler_not_the_arguments(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    state = make_state(LoginState)
    asyncio.run(run(state.log_in([PASSWORD])))
    assert "event=bad_arguments handler=log_in" in caplog.text and PASSWORD not in caplog.text


async def test_a_busy_flag_is_lowered_even_when_the_browser_goes_away(services: Services) -> None:
    page = await signed_in_page(services)
    handler = page.start(Operation.ENABLE_SMS)
    await handler.__anext__()  # the busy flag is up and sent to the browser...
    assert page.busy
    await handler.aclose()  # ...and the connection closes before the work runs
    assert not page.busy
    await run(page.start(Operation.ENABLE_SMS))
    assert page.step == Step.REAUTH_PASSWORD  # the next click is not silently ignored


async def test_leaving_the_settings_page_drops_the_grant(services: Services, gateway) -> None:
    create_user(services, phone=PHONE)
    page = settings_page()
    issued = services.accounts.log_in("ada@example.com", PASSWORD).issued
    await deliver(page, session_token=services.sessions.advance(issued.token, (Amr.SMS,)).token)
    await run(page.load())
    await run(page.start(Operation.CHANGE_NUMBER))
    await run(page.confirm_password({"password": PASSWORD}))
    await run(page.verify_reauth_code({"code": gateway.sent[-1].code}))
    assert page.step == Step.PHONE
    await run(page.load())  # navigated away and back
    texts = len(gateway.sent)
    await run(page.send_enroll_code({"phone": "+14155552671"}))
    assert len(gateway.sent) == texts and page.step == Step.STATUS  # nothing to confirm: the status again


async def test_a_cancelled_slow_handler_leaves_no_busy_flag_up(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(services)
    login = make_state(LoginState)
    proxy = _Locked(login)

    def stopping(*_args: Any) -> Any:
        raise asyncio.CancelledError  # as when the worker stops while the password is hashed

    monkeypatch.setattr(services.accounts, "log_in", stopping)
    with pytest.raises(asyncio.CancelledError):
        await run(LoginState.event_handlers["log_in"].fn(proxy, {"email": "ada@example.com", "password": PASSWORD}))
    assert not login.loading
