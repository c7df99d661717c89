"""State handlers for sign-up, login, guards and logout, called directly with the backend on fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.models import LoginSession, User
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from sms2fa_app.state import words
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.signup import SignupState
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user, log_in
from tests.support.states import deliver, make_state, redirect_path, run


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """These tests predate email verification: sign-up signs in at once (EMAIL_VERIFICATION_REQUIRED=false).
    With verification on (the default), see test_verification.py."""
    return make_settings(tmp_path, EMAIL_VERIFICATION_REQUIRED="false")


def count(services: Services, model: type) -> int:
    with services.database.session() as db:
        return db.exec(select(func.count()).select_from(model)).one()


def signup_form(email: str = "ada@example.com", password: str = PASSWORD, confirm: str | None = None) -> dict:
    return {"email": email, "password": password, "confirm_password": password if confirm is None else confirm}


async def test_sign_up_creates_the_account_signs_in_and_redirects(services: Services) -> None:
    state = make_state(SignupState)
    events = await run(state.sign_up(signup_form("Ada@Example.com")))
    assert redirect_path(events) == "/dashboard"
    assert state._session_token and not state.loading
    session = services.sessions.resolve(state._session_token)
    assert session.is_authenticated
    assert services.accounts.get(session.user_id).email == "ada@example.com"


@pytest.mark.parametrize(
    ("form", "field", "message_id"),
    [
        (signup_form(email=""), "email_error", "signup.enter_email"),
        (signup_form(email="nope"), "email_error", "signup.email_invalid"),
        (signup_form(password=""), "password_error", "password.empty"),
        (signup_form(password="short"), "password_error", "password.too_short"),
        (signup_form(password="p" * 257), "password_error", "password.too_long"),
        (signup_form(confirm="something else"), "confirm_error", "password.mismatch"),
    ],
)
async def test_sign_up_errors_sit_next_to_their_field_and_change_nothing(
    services: Services, form: dict, field: str, message_id: str
) -> None:
    state = make_state(SignupState)
    events = await run(state.sign_up(form))
    assert words.message_id(getattr(state, field)) == message_id
    assert redirect_path(events) is None and state._session_token == ""
    assert count(services, User) == 0 and count(services, LoginSession) == 0


async def test_sign_up_with_a_taken_email_in_other_case(services: Services) -> None:
    create_user(services)
    state = make_state(SignupState)
    await run(state.sign_up(signup_form("ADA@example.COM")))
    assert words.message_id(state.email_error) == "signup.email_taken"
    assert state.email_taken  # the page links to "Log in instead"
    assert count(services, User) == 1


async def test_sign_up_when_the_backend_is_down(services: Services, monkeypatch) -> None:
    def down(*_args, **_kwargs):
        raise ServiceUnavailable("redis unavailable")

    monkeypatch.setattr(services.accounts, "sign_up", down)
    state = make_state(SignupState)
    await run(state.sign_up(signup_form()))
    assert words.message_id(state.form_error) == words.common.SERVICE_UNAVAILABLE.id and not state.loading


async def test_log_in_without_2fa_goes_to_the_dashboard(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert redirect_path(events) == "/dashboard"
    assert services.sessions.resolve(state._session_token).is_authenticated


async def test_log_in_with_2fa_stops_at_the_challenge(services: Services) -> None:
    create_user(services, phone="+14155552671")
    state = make_state(LoginState)
    events = await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert redirect_path(events) == "/2fa-challenge"
    assert services.sessions.resolve(state._session_token).awaiting_second_factor
    guard = await run(state.require_authenticated())
    assert redirect_path(guard) == "/2fa-challenge"
    assert state.signed_in_email == ""


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "ada@example.com", "password": "wrong password"}, words.login.INVALID_CREDENTIALS),
        ({"email": "nobody@example.com", "password": PASSWORD}, words.login.INVALID_CREDENTIALS),
        ({"email": "", "password": ""}, words.login.MISSING_CREDENTIALS),
        ({}, words.login.MISSING_CREDENTIALS),
    ],
)
async def test_log_in_failures_show_one_message_and_start_no_session(
    services: Services, form: dict, message: str
) -> None:
    create_user(services)
    state = make_state(LoginState)
    events = await run(state.log_in(form))
    assert state.error == message and redirect_path(events) is None
    assert state._session_token == "" and count(services, LoginSession) == 0


async def test_log_in_throttled_says_when_to_try_again(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    for _ in range(services.settings.login_max_failures_per_account):
        await run(state.log_in({"email": "ada@example.com", "password": "wrong password"}))
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert state.error_id == "login.throttled"
    # the page counts the throttle's 15 minutes down from this deadline (epoch ms)
    assert state.throttled_until == round((services.clock.now() + 15 * 60) * 1000)
    assert state._session_token == ""


async def test_log_in_replaces_an_earlier_session(services: Services) -> None:
    create_user(services)
    state = make_state(LoginState)
    await deliver(state, session_token=log_in(services).token)
    earlier = state._session_token
    await run(state.log_in({"email": "ada@example.com", "password": PASSWORD}))
    assert state._session_token != earlier
    assert services.sessions.resolve(earlier) is None


async def test_dashboard_guard_shows_the_email_for_a_live_session(services: Services) -> None:
    create_user(services)
    state = make_state(SessionState)
    await deliver(state, session_token=log_in(services).token)
    assert await run(state.require_authenticated()) == []
    assert state.signed_in_email == "ada@example.com"


@pytest.mark.parametrize("token", ["", "tampered-token", "x" * 500])
async def test_dashboard_guard_sends_unknown_tokens_to_login(services: Services, token: str) -> None:
    state = make_state(SessionState)
    await deliver(state, session_token=token)
    assert redirect_path(await run(state.require_authenticated())) == "/login"
    assert state.signed_in_email == "" and state._session_token == ""


async def test_dashboard_guard_after_expiry(services: Services, clock) -> None:
    create_user(services)
    state = make_state(SessionState)
    await deliver(state, session_token=log_in(services).token)
    clock.advance(services.settings.session_idle_seconds + 1)
    assert redirect_path(await run(state.require_authenticated())) == "/login"


async def test_guard_fails_closed_when_the_backend_is_down(services: Services, monkeypatch) -> None:
    create_user(services)
    state = make_state(SessionState)
    await deliver(state, session_token=log_in(services).token)

    def down(*_args):
        raise ServiceUnavailable("database unavailable")

    monkeypatch.setattr(services.sessions, "resolve", down)
    monkeypatch.setattr(services.sessions, "resolve_with_user", down)
    monkeypatch.setattr(services.sessions, "resolve_with_facts", down)
    assert redirect_path(await run(state.require_authenticated())) == "/login"
    assert state.signed_in_email == ""


async def test_login_page_sends_a_signed_in_user_to_the_dashboard(services: Services) -> None:
    create_user(services)
    state = make_state(SessionState)
    assert await run(state.redirect_if_signed_in()) == []
    await deliver(state, session_token=log_in(services).token)
    assert redirect_path(await run(state.redirect_if_signed_in())) == "/dashboard"


async def test_log_out_deletes_the_server_session(services: Services) -> None:
    create_user(services)
    state = make_state(SessionState)
    token = log_in(services).token
    await deliver(state, session_token=token)
    state.signed_in_email = "ada@example.com"
    assert redirect_path(await run(state.log_out())) == "/login"
    assert services.sessions.resolve(token) is None
    assert state._session_token == "" and state.signed_in_email == ""
    assert count(services, LoginSession) == 0


async def test_a_new_visit_to_login_or_signup_starts_without_old_errors(services: Services) -> None:
    login = make_state(LoginState)
    await run(login.log_in({"email": "nobody@example.com", "password": "wrong password"}))
    assert login.error
    assert await run(login.load()) == []
    assert login.error == "" and not login.loading
    signup = make_state(SignupState)
    await run(signup.sign_up(signup_form(email="nope")))
    assert signup.email_error
    assert await run(signup.load()) == []
    assert signup.email_error == signup.password_error == signup.confirm_error == signup.form_error == ""


async def test_login_and_signup_pages_send_a_signed_in_user_to_the_dashboard(services: Services) -> None:
    create_user(services)
    login = make_state(LoginState)
    await deliver(login, session_token=log_in(services).token)
    assert redirect_path(await run(login.load())) == "/dashboard"
    signup = await login.get_state(SignupState)
    assert redirect_path(await run(signup.load())) == "/dashboard"
