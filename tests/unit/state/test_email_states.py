"""The states of the email flows: the neutral sign-up, an unconfirmed login, the verification and reset pages,
and the strength hint. Handlers are called directly with the backend on fakes."""

from __future__ import annotations

from sms2fa_app.backend.factors.results import Factor
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.password_reset import DONE, FACTOR, INVALID, NEW_PASSWORD, ForgotPasswordState, ResetPasswordState
from sms2fa_app.state.signup import SignupState
from sms2fa_app.state.verify_email import VerifyEmailState
from tests.support.factories import PASSWORD, create_user, log_in
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer
from tests.support.states import client_dict, make_state, open_at, redirect_path, run

ADA = "ada@example.com"
PHONE = "+14155552671"
NEW = "a brand new passphrase 7"


def form(email: str = ADA, password: str = PASSWORD) -> dict:
    return {"email": email, "password": password, "confirm_password": password}


async def test_sign_up_says_check_your_email_whoever_owns_the_address(services: Services) -> None:
    create_user(services, "taken@example.com")
    shown = []
    for email in ("new@example.com", "taken@example.com"):
        state = make_state(SignupState)
        events = await run(state.sign_up(form(email)))
        assert redirect_path(events) is None and state._session_token == ""
        assert (state.email_error, state.password_error, state.form_error) == ("", "", "")
        shown.append(state.check_email.replace(email, "<address>"))
    assert shown[0] == shown[1] == words.login.CHECK_EMAIL_DETAIL.format(email="<address>")


async def test_a_common_password_is_refused_with_a_hint(services: Services) -> None:
    state = make_state(SignupState)
    await run(state.rate_password("password1"))
    assert state.password_hint.startswith("Strength: very weak (it is a commonly used password")
    await run(state.rate_password(PASSWORD))
    assert words.message_id(state.password_hint) == "password.strength"
    await run(state.sign_up(form(password="password1")))
    assert words.message_id(state.password_error) == words.login.TOO_COMMON.id and state.check_email == ""


async def test_an_unconfirmed_address_reads_as_a_wrong_password_and_its_owner_gets_a_new_link(
    services: Services, mailer: RecordingMailer
) -> None:
    await run(make_state(SignupState).sign_up(form()))
    services.jobs.drain()
    login = make_state(LoginState)
    await run(login.log_in({"email": ADA, "password": PASSWORD}))
    unconfirmed = (login.error, login.notice, login._session_token)
    wrong = make_state(LoginState)
    await run(wrong.log_in({"email": ADA, "password": "not the passphrase"}))
    assert unconfirmed == (wrong.error, wrong.notice, wrong._session_token) == (words.login.INVALID_CREDENTIALS, "", "")
    assert client_dict(login) == client_dict(wrong)  # nothing on the page tells them apart
    services.jobs.drain()
    assert len(mailer.to(ADA)) == 2


async def test_the_throttle_message_offers_forgot_password(services: Services) -> None:
    create_user(services)
    login = make_state(LoginState)
    for _ in range(services.settings.login_max_failures_per_account + 1):
        await run(login.log_in({"email": ADA, "password": "wrong password"}))
    assert login.throttled and login.error.startswith("Too many failed attempts")
    login.reset_form()
    assert not login.throttled


async def test_the_verification_page_confirms_on_the_button_only(services: Services, mailer: RecordingMailer) -> None:
    await run(make_state(SignupState).sign_up(form()))
    services.jobs.drain()
    page = make_state(VerifyEmailState)
    open_at(page, mailer.last_link(ADA, "/verify-email"))
    page.load()
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.INVALID_CREDENTIALS  # not yet
    await run(page.confirm())
    assert page.verified and words.message_id(page.message) == words.login.EMAIL_VERIFIED.id
    assert services.accounts.log_in(ADA, PASSWORD).outcome is LoginOutcome.AUTHENTICATED
    again = make_state(VerifyEmailState)
    open_at(again, mailer.last_link(ADA, "/verify-email"))
    again.load()
    await run(again.confirm())
    assert not again.verified and words.message_id(again.message) == words.login.VERIFY_LINK_INVALID.id


async def test_forgot_password_answers_the_same_for_every_address(services: Services) -> None:
    create_user(services)
    answers = []
    for email in (ADA, "nobody@example.com"):
        page = make_state(ForgotPasswordState)
        open_at(page, f"http://localhost:3000/forgot-password?email={email}")
        page.load()
        assert page.email_prefill == email
        await run(page.request_reset({"email": email}))
        answers.append((page.sent, page.error))
    assert answers[0] == answers[1] == (words.login.reset_sent(1800), "")


async def test_the_reset_page_asks_for_a_second_factor_then_the_password(
    services: Services, mailer: RecordingMailer, gateway: RecordingGateway, clock: FakeClock
) -> None:
    user = create_user(services, phone=PHONE)
    codes = services.recovery.generate(user.id)
    other = log_in(services)
    services.password_resets.request(ADA, "203.0.113.9")
    services.jobs.drain()
    page = make_state(ResetPasswordState)
    open_at(page, mailer.last_link(ADA, "/reset-password"))
    await run(page.load())
    assert page.step == FACTOR and page.phone_ending == "2671" and not page.has_totp
    await run(page.set_password({"password": NEW, "confirm_password": NEW}))  # skipping the factor fails
    assert page.step == FACTOR and page.error_id == words.login.RESET_SECOND_FACTOR.id
    await run(page.send_code({}))
    assert page.code_sent and gateway.last_code(PHONE)
    await run(page.use_method(Factor.TOTP))  # no app: stays
    assert page.method == Factor.SMS
    await run(page.use_method(Factor.RECOVERY))
    await run(page.verify_factor({"code": "aaaaa-bbbbb"}))
    assert page.step == FACTOR and page.error_id == "challenge.recovery.wrong"
    await run(page.verify_factor({"code": codes[1]}))
    assert page.step == NEW_PASSWORD
    await run(page.set_password({"password": "12345678", "confirm_password": "12345678"}))
    assert page.error_id == words.login.TOO_COMMON.id
    await run(page.set_password({"password": NEW, "confirm_password": NEW}))
    assert page.step == DONE and page.notice_id == words.login.RESET_DONE.id
    assert services.sessions.resolve(other.token) is None
    link = mailer.last_link(ADA, "/reset-password")
    sent_to_browser = client_dict(page)[page.get_full_name()]  # (the router holds the browser's own URL)
    assert "_link" not in sent_to_browser and link.split("token=")[1] not in str(sent_to_browser)
    again = make_state(ResetPasswordState)
    open_at(again, link)
    await run(again.load())
    assert again.step == INVALID
