"""Issue 12's wording and flow through the state handlers: recovery codes (file, copy, confirmation, banner),
the authenticator key, results that say what changed, method rows, devices, sign-up and login notices."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.state import words
from sms2fa_app.state.challenge import Factor
from sms2fa_app.state.dashboard import DashboardState
from sms2fa_app.state.login import PASSWORD_FIELD, LoginState
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.settings import Operation, Step
from sms2fa_app.state.signup import SignupState
from tests.conftest import make_settings
from tests.support import reflex_internals
from tests.support.factories import PASSWORD, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import deliver, make_state, redirect_path, run
from tests.unit.state.test_more_factors_states import (
    challenge_for,
    enrolled_settings,
    reauthenticate,
    reauthenticated_settings,
    sign_in_remembering_the_device,
)


def browser_calls(events: list) -> list[tuple[str, tuple[str, ...]]]:
    """The compiled browser calls among `events`: (name, literal arguments), e.g. ("_set_focus", ("ref_x",))."""
    return [
        (
            reflex_internals.handler_qualname(event),
            tuple(str(value) for value in reflex_internals.event_arguments(event).values()),
        )
        for event in events
        if getattr(event, "handler", None) is not None and reflex_internals.handler_qualname(event).startswith("_set_")
    ]


def _file_text(data_uri: str) -> str:
    prefix = "data:text/plain;charset=utf-8;base64,"
    assert data_uri.startswith(prefix)
    return base64.b64decode(data_uri.removeprefix(prefix)).decode()


async def test_the_download_is_one_code_per_line_under_a_header(services: Services, gateway: RecordingGateway) -> None:
    state = await enrolled_settings(services, gateway)
    lines = _file_text(state.recovery_download).splitlines()
    day = words.common.calendar_day(services.clock.now())
    assert lines[:3] == ["sms2fa recovery codes", "Account: ada@example.com", f"Created: {day}"]
    assert lines[-10:] == state.new_recovery_codes and "\\n" not in state.recovery_download
    assert not state.replaced  # a first set replaces nothing


async def test_done_waits_for_i_saved_these_codes_and_copy_says_copied(
    services: Services, gateway: RecordingGateway
) -> None:
    state = await enrolled_settings(services, gateway)
    assert not state.codes_saved and state.copied == ""
    await run(state.mark_copied(words.common.CLIPBOARD_FAILED))  # the browser refused the write: how to copy by hand
    assert state.copied == words.common.COPY_FAILED and state.copy_failed
    await run(state.mark_copied(words.common.CLIPBOARD_WRITTEN))  # said only once the clipboard holds the codes
    assert state.copied == words.common.COPIED and not state.copy_failed
    await run(state.confirm_saved("yes"))
    assert state.codes_saved
    await run(state.confirm_saved(""))
    assert not state.codes_saved
    await run(state.cancel())
    assert state.recovery_download == "" and state.copied == "" and state.new_recovery_codes == []


async def test_regenerating_says_the_old_codes_no_longer_work(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await reauthenticated_settings(services, gateway, clock, Operation.REGENERATE_CODES)
    assert state.step == Step.RECOVERY_CODES and state.replaced
    assert state.notice_id == "settings.recovery_codes_new"


async def test_a_recovery_sign_in_puts_a_banner_on_the_dashboard_once(
    services: Services, gateway: RecordingGateway
) -> None:
    codes = (await enrolled_settings(services, gateway)).new_recovery_codes
    _login, challenge, _ = await challenge_for(services)
    await run(challenge.use_method(Factor.RECOVERY))
    assert redirect_path(await run(challenge.verify({"code": codes[0]}))) == "/dashboard"
    dashboard = await challenge.get_state(DashboardState)
    await deliver(dashboard, session_token=challenge._session_token or "")
    await run(dashboard.load())
    assert words.message_id(dashboard.recovery_banner) == "recovery.used"
    assert dashboard.two_factor_enabled and "9 recovery codes left" in dashboard.methods_on
    await run(dashboard.load())
    assert dashboard.recovery_banner == ""  # said once


async def test_a_refused_recovery_code_keeps_its_field_focused(services: Services, gateway: RecordingGateway) -> None:
    await enrolled_settings(services, gateway)
    _login, challenge, _ = await challenge_for(services)
    await run(challenge.use_method(Factor.RECOVERY))
    events = await run(challenge.verify({"code": "aaaaa-bbbbb"}))
    assert challenge.error.startswith("That recovery code isn't one of yours.")
    assert browser_calls(events) == [("_set_focus", ("ref_field_code",))]  # the page selects it on focus


async def test_the_dashboard_prompts_to_turn_2fa_on(services: Services) -> None:
    create_user(services)
    dashboard = make_state(DashboardState)
    await deliver(dashboard, session_token=services.accounts.log_in("ada@example.com", PASSWORD).issued.token)
    assert await run(dashboard.load()) == []
    assert not dashboard.two_factor_enabled and dashboard.methods_on == "" and dashboard.recovery_banner == ""


async def test_the_authenticator_key_is_shown_in_groups_of_four(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await reauthenticated_settings(services, gateway, clock, Operation.ADD_TOTP)
    groups = state.totp_key_groups.split(" ")
    assert "".join(groups) == state.totp_secret and all(len(group) == 4 for group in groups[:-1])
    await run(state.mark_key_copied("anything else"))  # only the written token counts as copied
    assert state.key_copied == words.common.KEY_COPY_FAILED and state.key_copy_failed
    await run(state.mark_key_copied(words.common.CLIPBOARD_WRITTEN))
    assert state.key_copied == words.common.KEY_COPIED and not state.key_copy_failed


async def test_changing_the_number_says_where_codes_go_and_what_was_signed_out(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await enrolled_settings(services, gateway)
    challenge = await sign_in_remembering_the_device(services, gateway, clock)
    await deliver(state, session_token=challenge._session_token, device_token=challenge._device_token)
    await run(state.load())
    assert [device["current"] for device in state.devices] == ["yes"]
    assert state.devices[0]["times"] == "Remembered today · last used today"
    assert state.devices[0]["forget"].startswith("Forget ")
    await reauthenticate(state, gateway, clock, Operation.CHANGE_NUMBER)
    clock.advance(61)
    await run(state.send_enroll_code({"phone": "+14155553100"}))
    await run(state.verify_enroll_code({"code": gateway.sent[-1].code}))
    assert state.notice.startswith("Codes now go to •••• 3100; remembered devices")
    assert state.notice.endswith("were signed out.") and state.devices == []


async def test_changing_to_the_same_number_is_refused(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await reauthenticated_settings(services, gateway, clock, Operation.CHANGE_NUMBER)
    clock.advance(61)
    await run(state.send_enroll_code({"phone": "+14155551212"}))
    assert state.error_id == "settings.same_number" and state.step == Step.PHONE


async def test_turning_off_and_forgetting_all_ask_first(services: Services, gateway: RecordingGateway) -> None:
    state = await enrolled_settings(services, gateway)
    await run(state.cancel())
    await run(state.ask("disable"))
    assert state.confirming_disable and not state.confirming_forget_all
    await run(state.ask("forget_all"))
    assert state.confirming_forget_all and not state.confirming_disable
    await run(state.ask(""))
    assert not state.confirming_disable and not state.confirming_forget_all
    await run(state.ask("disable"))
    await run(state.start(Operation.DISABLE))
    assert state.step == Step.REAUTH_PASSWORD and not state.confirming_disable


async def test_each_method_row_says_when_it_was_last_used(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await enrolled_settings(services, gateway)
    await sign_in_remembering_the_device(services, gateway, clock)
    await run(state.load())
    assert state.last_used == {
        "sms": "Last used today",
        "totp": "Never used",
        "passkey": "Never used",
        "recovery": "Never used",
    }


# ---- sign-up and login ------------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Sign-up signs in at once here (as in test_auth_states.py)."""
    return make_settings(tmp_path, EMAIL_VERIFICATION_REQUIRED="false")


async def test_sign_up_shows_every_error_at_once(services: Services) -> None:
    state = make_state(SignupState)
    await run(state.sign_up({"email": "not-an-address", "password": "short", "confirm_password": "other"}))
    assert words.message_id(state.email_error) == "signup.email_invalid"
    assert state.password_error.startswith("Use at least")
    assert words.message_id(state.confirm_error) == "password.mismatch"


async def test_a_failed_login_clears_the_password_field(services: Services) -> None:
    create_user(services)
    login = make_state(LoginState)
    events = await run(login.log_in({"email": "ada@example.com", "password": "wrong password"}))
    assert login.error_id == "login.invalid_credentials"
    assert browser_calls(events) == [("_set_value", ("ref_" + PASSWORD_FIELD.replace("-", "_"), ""))]


async def test_logging_out_then_the_login_page_says_so_once(services: Services) -> None:
    create_user(services)
    login = make_state(LoginState)
    await run(login.log_in({"email": "ada@example.com", "password": PASSWORD}))
    base = await login.get_state(SessionState)
    assert redirect_path([await base.log_out()]) == "/login"
    await run(login.load())
    assert login.notice_id == "login.logged_out"
    await run(login.load())
    assert login.notice == ""


async def test_a_protected_page_sends_to_login_with_log_in_to_continue(services: Services) -> None:
    dashboard = make_state(DashboardState)
    assert redirect_path([await dashboard.load()]) == "/login"
    await run((await dashboard.get_state(LoginState)).load())
    assert (await dashboard.get_state(LoginState)).notice_id == words.login.LOG_IN_TO_CONTINUE.id
