"""Settings beyond the second factor: re-authentication with any enrolled factor naming the action, the
password, sessions, deleting the account, and the activity page, through the state handlers."""

from __future__ import annotations

import pyotp

from sms2fa_app.backend.factors.results import Factor, VerifyResult, VerifyStatus
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.client import ClientInfo
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from sms2fa_app.state import words
from sms2fa_app.state.activity import PAGE_SIZE, ActivityState
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import Operation, Step
from sms2fa_app.state.words import message_id
from tests.support.factories import CHROME, PASSWORD, create_user, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.states import StatePage, deliver, make_state, redirect_path, run, settings_signed_in

ADA = "ada@example.com"
PHONE = "+14155551212"
NEW_PHONE = "+14155552671"
NEW_PASSWORD = "another good passphrase"


async def signed_in(services: Services, *, phone: str | None = None) -> StatePage:
    """The settings page of a fully signed-in user (the challenge skipped for 2FA accounts)."""
    user = create_user(services, phone=phone)
    state = await settings_signed_in(services, two_factor=phone is not None)
    assert user.id == 1
    return state


def with_authenticator(services: Services, clock: FakeClock) -> pyotp.TOTP:
    setup = services.totp.begin_setup(1, ADA)
    totp = pyotp.TOTP(setup.secret)
    assert services.totp.confirm_setup(1, totp.at(clock.now() - 30)).ok
    return totp


async def test_the_authenticator_confirms_a_new_number_in_one_step(
    services: Services, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await signed_in(services, phone=PHONE)
    totp = with_authenticator(services, clock)
    await run(state.load())
    await run(state.start(Operation.CHANGE_NUMBER))
    assert (
        words.message_id(state.action_title) == "operation.change_number.title" and state.reauth_method == Factor.TOTP
    )
    await run(state.use_reauth_method(Factor.TOTP))
    await run(state.confirm_password({"password": PASSWORD, "code": totp.at(clock.now())}))
    assert state.step == Step.PHONE and state.error == ""
    assert gateway.texts == []  # nothing went to the (lost) phone
    await run(state.send_enroll_code({"phone": NEW_PHONE}))
    await run(state.verify_enroll_code({"code": gateway.last_code(NEW_PHONE)}))
    assert services.accounts.get(1).phone_number == NEW_PHONE


async def test_a_wrong_code_in_the_one_step_form_stays_there(services: Services, clock: FakeClock) -> None:
    state = await signed_in(services, phone=PHONE)
    with_authenticator(services, clock)
    await run(state.load())
    await run(state.start(Operation.DISABLE))
    await run(state.use_reauth_method(Factor.TOTP))
    await run(state.confirm_password({"password": PASSWORD, "code": "000000"}))
    assert state.step == Step.REAUTH_PASSWORD
    assert state.error_id == "challenge.totp.wrong"
    assert state.error == words.challenge.verify_failed(VerifyResult(VerifyStatus.WRONG, attempts_left=9), Factor.TOTP)
    await run(state.confirm_password({"password": "wrong", "code": "000000"}))
    assert state.error_id == words.settings.PASSWORD_WRONG.id
    assert services.accounts.get(1).is_two_factor_enabled


async def test_a_recovery_code_confirms_turning_2fa_off_and_is_spent(services: Services) -> None:
    state = await signed_in(services, phone=PHONE)
    codes = services.recovery.generate(1)
    await run(state.start(Operation.DISABLE))
    assert words.message_id(state.action_title) == "operation.disable.title"
    await run(state.use_reauth_method(Factor.TOTP))  # no app: not offered
    assert state.reauth_method == Factor.SMS
    await run(state.use_reauth_method(Factor.RECOVERY))
    await run(state.confirm_password({"password": PASSWORD, "code": codes[4]}))
    assert state.step == Step.STATUS and state.notice_id == words.message_id(
        words.settings.change_done(Operation.DISABLE, "")
    )
    assert not services.accounts.get(1).is_two_factor_enabled


async def test_changing_the_password_ends_the_other_sessions(services: Services) -> None:
    state = await signed_in(services)
    other = log_in(services)
    await run(state.start(Operation.CHANGE_PASSWORD))
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.step == Step.NEW_PASSWORD
    await run(state.rate_password("iloveyou"))
    assert "commonly used" in state.password_hint
    await run(state.change_password({"password": "iloveyou", "confirm_password": "iloveyou"}))
    assert state.error_id == words.login.TOO_COMMON.id and state.step == Step.NEW_PASSWORD
    await run(state.change_password({"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}))
    assert state.step == Step.STATUS and state.notice_id == words.settings.PASSWORD_CHANGED.id
    assert services.sessions.resolve(other.token) is None
    assert services.sessions.resolve(state._token()) is not None
    assert services.accounts.confirm_password(1, NEW_PASSWORD).outcome is LoginOutcome.AUTHENTICATED


async def test_sessions_are_listed_and_signed_out(services: Services) -> None:
    state = await signed_in(services)
    other = log_in(services)
    third = log_in(services)
    await run(state.load())
    assert len(state.sessions) == 3
    assert [entry["current"] for entry in state.sessions].count("yes") == 1
    await run(state.sign_out_session(str(other.session.session_id)))
    assert services.sessions.resolve(other.token) is None and len(state.sessions) == 2
    assert state.notice_id == words.settings.SESSION_ENDED.id
    await run(state.sign_out_everywhere_else())
    assert services.sessions.resolve(third.token) is None and len(state.sessions) == 1
    assert services.sessions.resolve(state._token()) is not None
    assert redirect_path(await run(state.sign_out_session("not-a-number"))) is None


async def test_deleting_the_account_needs_the_box_ticked(services: Services) -> None:
    state = await signed_in(services)
    await run(state.start(Operation.DELETE_ACCOUNT))
    assert words.message_id(state.action_title) == "operation.delete_account.title"
    await run(state.confirm_password({"password": PASSWORD}))
    assert state.step == Step.CONFIRM_DELETE
    await run(state.delete_account({"confirm": ""}))
    assert state.error_id == words.settings.CONFIRM_DELETE_MISSING.id and services.accounts.get(1) is not None
    events = await run(state.delete_account({"confirm": "on"}))
    assert redirect_path(events) == "/login" and services.accounts.get(1) is None
    assert state._session_token == "" and state.signed_in_email == ""
    # Said on the login page, once (a page message: the CSP forbids server-sent toasts).
    root = state._owner("step")
    while root.parent_state is not None:
        root = root.parent_state
    login = root.get_substate(LoginState.get_full_name().split(".")[1:])
    await run(login.reset_form())
    assert login.notice_id == words.login.ACCOUNT_DELETED.id
    await run(login.reset_form())
    assert login.notice == ""


async def test_the_activity_page_lists_the_users_events_in_words(services: Services) -> None:
    create_user(services)
    issued = log_in(services)
    page = make_state(ActivityState)
    await deliver(page, session_token=issued.token)
    assert await run(page.load()) == []
    assert [entry["what"] for entry in page.entries] == ["Signed in with your password"]
    await deliver(page, session_token="")
    assert redirect_path(await run(page.load())) == "/login" and page.entries == []


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"


def _record(services: Services, kind: EventKind, detail: str = "", *, agent: str = CHROME) -> None:
    services.clock.advance(1)
    with services.database.session() as tx:
        services.activity.record(tx, 1, kind, detail, client=ClientInfo("203.0.113.7", agent))


async def _activity_page(services: Services) -> ActivityState:
    issued = log_in(services)
    page = make_state(ActivityState)
    await deliver(page, session_token=issued.token)
    await run(page.load())
    return page


async def test_identical_rows_in_a_row_are_one_line_with_a_count(services: Services) -> None:
    create_user(services)
    for _ in range(5):
        _record(services, EventKind.SECOND_FACTOR_FAILED, "totp")
    _record(services, EventKind.SECOND_FACTOR_FAILED, "totp", agent=FIREFOX)  # another browser
    _record(services, EventKind.PASSKEY_ADDED, "Work laptop")
    page = await _activity_page(services)
    shown = [(entry["what"], entry["repeated"]) for entry in page.entries]
    assert shown[:4] == [
        ("Signed in with your password", ""),
        ("Passkey added: Work laptop", ""),
        ("Wrong authenticator app code entered", ""),
        ("Wrong authenticator app code entered", words.activity.repeated(5)),
    ]
    assert message_id(page.entries[3]["repeated"]) == "activity.repeated"


async def test_the_activity_pages_and_filters(services: Services) -> None:
    create_user(services)
    for number in range(PAGE_SIZE + 5):  # no two in a row alike
        _record(services, EventKind.PASSWORD_CHANGED if number % 2 else EventKind.TOTP_ADDED)
    page = await _activity_page(services)
    assert (page.page, page.pages, len(page.entries)) == (0, 2, PAGE_SIZE)
    await run(page.turn_page("older"))
    assert (page.page, len(page.entries)) == (1, 6)
    await run(page.turn_page("older"))  # the end stays the end
    assert page.page == 1
    await run(page.show_kind(words.activity.SIGN_INS))
    assert [entry["what"] for entry in page.entries] == ["Signed in with your password"] and page.pages == 1
    await run(page.show_kind("<script>"))  # an unknown kind shows everything
    assert page.kind == "all" and len(page.entries) == PAGE_SIZE


async def test_connected_apps_are_listed_and_disconnected(services: Services) -> None:
    """An OpenID client holding tokens of the user shows in "Connected apps"; Disconnect revokes them."""
    state = await signed_in(services)
    made = services.oidc.server.clients.register("Wiki", ["https://wiki.example/cb"], first_party=True)
    session = services.sessions.list_for_user(1)[0]
    token = {"access_token": "a" * 43, "expires_in": 300, "scope": "openid", "token_type": "Bearer"}
    services.oidc.server.tokens.save(
        token, family="f1", client_id=made.client_id, user_id=1, session_id=session.session_id
    )
    await run(state.load())
    assert [(app["name"], app["id"]) for app in state.apps] == [("Wiki", made.client_id)]
    await run(state.disconnect_app(made.client_id))
    assert state.apps == [] and state.notice_id == words.settings.APP_DISCONNECTED.id
    assert services.oidc.connected_apps(1) == []
    await run(state.disconnect_app("<not an id>"))  # refused quietly, nothing changes
