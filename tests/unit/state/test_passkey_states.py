"""Passkeys through the state handlers: the challenge (offered first), the one-step sign-in on /login, and
adding, renaming and removing in settings. The browser's side is the software authenticator, fed the
options the handlers put into the ceremony request their page runs."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.factors.passkeys import PasskeyProblem
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.challenge import ChallengeState, Factor
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import Operation, Step
from tests.support.factories import PASSWORD, create_user, register_passkey
from tests.support.recording_gateway import RecordingGateway
from tests.support.soft_authenticator import SoftAuthenticator
from tests.support.states import (
    StatePage,
    browser_ceremony,
    callback_handler,
    client_dict,
    deliver,
    make_state,
    redirect_path,
    run,
    settings_page,
)

PHONE = "+14155551212"


@pytest.fixture
def authenticator(services: Services) -> SoftAuthenticator:
    return SoftAuthenticator(services.settings.passkey_origin)


@pytest.fixture
def ada(services: Services, authenticator: SoftAuthenticator) -> int:
    """An account with 2FA by SMS and one passkey."""
    user_id = create_user(services, phone=PHONE).id or 0
    register_passkey(services, user_id, authenticator)
    return user_id


async def at_challenge(services: Services) -> ChallengeState:
    login = make_state(LoginState)
    await run(login.log_in({"email": "ada@example.com", "password": PASSWORD}))
    challenge = await login.get_state(ChallengeState)
    await run(challenge.load())  # the challenge page's on_load picks the factor (and texts the first code)
    return challenge


# ---- the challenge ----------------------------------------------------------------------------------


async def test_a_passkey_is_the_default_and_nothing_is_texted(
    services: Services, ada: int, gateway: RecordingGateway
) -> None:
    challenge = await at_challenge(services)
    assert challenge.method == Factor.PASSKEY and challenge.has_passkey
    assert gateway.sent == []  # the password step texts nothing when a passkey comes first
    await run(challenge.use_method(Factor.SMS))  # the texted code stays offered
    assert challenge.method == Factor.SMS and len(gateway.sent) == 1


async def test_without_a_passkey_the_challenge_texts_as_before(services: Services, gateway: RecordingGateway) -> None:
    create_user(services, phone=PHONE)
    challenge = await at_challenge(services)
    assert challenge.method == Factor.SMS and not challenge.has_passkey and len(gateway.sent) == 1
    await run(challenge.use_method(Factor.PASSKEY))
    assert challenge.method == Factor.SMS  # not offered


async def test_the_passkey_passes_the_challenge_under_a_new_token(
    services: Services, ada: int, authenticator: SoftAuthenticator
) -> None:
    challenge = await at_challenge(services)
    pending_token = challenge._session_token
    await run(challenge.start_passkey({"remember": "on"}))
    ceremony, options = browser_ceremony(challenge)
    assert ceremony == "get" and callback_handler(challenge) == "finish_passkey"
    events = await run(challenge.finish_passkey(authenticator.get(options)))
    assert redirect_path(events) == "/dashboard"
    assert challenge._session_token != pending_token and services.sessions.resolve(pending_token) is None
    session = services.sessions.resolve(challenge._session_token)
    assert session is not None and session.is_authenticated
    assert challenge._device_token  # "remember this device" was ticked on the passkey form


@pytest.mark.parametrize(
    ("answer", "message_id"),
    [
        ("error:NotAllowedError", "passkey.browser.cancelled.choose_another_way"),
        ("error:unsupported", "passkey.browser.unsupported.choose_another_way"),
        ("error:<script>", "passkey.browser.failed.choose_another_way"),
    ],
)
async def test_a_cancelled_or_impossible_ceremony_says_so_and_keeps_the_other_factors(
    services: Services, ada: int, answer: str, message_id: str
) -> None:
    challenge = await at_challenge(services)
    await run(challenge.start_passkey({}))
    events = await run(challenge.finish_passkey(answer))
    assert redirect_path(events) is None and challenge.error_id == message_id
    assert services.sessions.resolve(challenge._session_token).awaiting_second_factor
    await run(challenge.use_method(Factor.RECOVERY))
    assert challenge.method == Factor.RECOVERY


async def test_a_phished_assertion_is_refused_and_counted(
    services: Services, ada: int, authenticator: SoftAuthenticator
) -> None:
    challenge = await at_challenge(services)
    await run(challenge.start_passkey({}))
    _, options = browser_ceremony(challenge)
    await run(challenge.finish_passkey(authenticator.get(options, origin="https://sms2fa.evil.example")))
    assert challenge.error_id == "challenge.passkey.refused"
    assert services.lockout._redis.hget("otp:fail:1", "n") == "1"


async def test_an_oversized_answer_is_refused_by_the_guard(services: Services, ada: int) -> None:
    challenge = await at_challenge(services)
    await run(challenge.finish_passkey("{" + "x" * 20_000 + "}"))
    assert challenge.error_id == words.common.INVALID_REQUEST.id


# ---- /login in one step ---------------------------------------------------------------------------


async def test_sign_in_with_a_passkey_needs_no_password(
    services: Services, ada: int, authenticator: SoftAuthenticator
) -> None:
    login = make_state(LoginState)
    await run(login.start_passkey_sign_in({}))
    ceremony, options = browser_ceremony(login)
    assert ceremony == "get" and '"allowCredentials": []' in options
    assert login._passkey_handle and login._passkey_handle not in str(client_dict(login))
    events = await run(login.finish_passkey_sign_in(authenticator.get(options)))
    assert redirect_path(events) == "/dashboard"
    session = services.sessions.resolve(login._session_token)
    assert session is not None and session.user_id == ada and session.is_authenticated
    assert login._passkey_handle == ""  # the answer used it up


async def test_an_unknown_passkey_or_a_replay_does_not_sign_in(
    services: Services, ada: int, authenticator: SoftAuthenticator
) -> None:
    stranger = SoftAuthenticator(services.settings.passkey_origin)
    stranger.create(services.passkeys.registration_options(ada, 5, "x@example.com"))
    login = make_state(LoginState)
    await run(login.start_passkey_sign_in({}))
    _, options = browser_ceremony(login)
    await run(login.finish_passkey_sign_in(stranger.get(options)))
    assert login.error_id == words.login.PASSKEY_SIGN_IN_FAILED.id and not login._session_token
    await run(login.start_passkey_sign_in({}))
    _, options = browser_ceremony(login)
    answer = authenticator.get(options)
    assert redirect_path(await run(login.finish_passkey_sign_in(answer))) == "/dashboard"
    await run(login.log_out())
    await run(login.finish_passkey_sign_in(answer))  # the same answer again: its challenge and handle are spent
    assert login.error_id == words.login.PASSKEY_SIGN_IN_FAILED.id and not login._session_token


async def test_a_cancelled_sign_in_points_to_the_password(services: Services, ada: int) -> None:
    login = make_state(LoginState)
    await run(login.start_passkey_sign_in({}))
    await run(login.finish_passkey_sign_in("error:NotAllowedError"))
    assert login.error.endswith("or log in with your email and password.")


# ---- settings -----------------------------------------------------------------------------------


async def signed_in_settings(services: Services) -> StatePage:
    state = settings_page()
    await deliver(state, session_token=services.sessions.create(1, BY_PASSWORD).token)
    await run(state.load())
    return state


async def reauthenticate(state: StatePage, gateway: RecordingGateway, clock: FakeClock) -> None:
    clock.advance(61)  # past the resend cooldown of the last text
    await run(state.use_reauth_method(Factor.SMS))  # a passkey, once added, is the default
    await run(state.confirm_password({"password": PASSWORD}))
    await run(state.verify_reauth_code({"code": gateway.sent[-1].code}))


async def at_passkey_step(services: Services, gateway: RecordingGateway, clock: FakeClock) -> StatePage:
    """An account with texted codes, re-authenticated for adding a passkey: on the setup step."""
    create_user(services, phone=PHONE)
    state = await signed_in_settings(services)
    await run(state.start(Operation.ADD_PASSKEY))
    await reauthenticate(state, gateway, clock)
    return state


async def test_adding_a_passkey_needs_reauthentication_and_ends_in_the_finish(
    services: Services, gateway: RecordingGateway, clock: FakeClock, authenticator: SoftAuthenticator
) -> None:
    create_user(services, phone=PHONE)
    state = await signed_in_settings(services)
    old_token, epoch = state._session_token, services.accounts.get(1).factor_epoch
    await run(state.create_passkey({"name": "Laptop"}))  # not at the step (no grant yet): nothing happens
    assert state.step == Step.STATUS and state.passkey_creation == "" and state.error == ""
    await run(state.start(Operation.ADD_PASSKEY))
    await reauthenticate(state, gateway, clock)
    assert state.step == Step.PASSKEY_SETUP
    await run(state.create_passkey({"name": " Work  laptop "}))
    ceremony, options = browser_ceremony(state)
    assert ceremony == "create" and callback_handler(state) == "finish_passkey"
    await run(state.finish_passkey(authenticator.create(options)))
    assert state.step == Step.STATUS and state.notice_id == words.settings.PASSKEY_ADDED.id
    assert [(p["name"], p["one_step"]) for p in state.passkeys] == [("Work laptop", "yes")]
    assert state._session_token != old_token and services.accounts.get(1).factor_epoch == epoch + 1


async def test_a_refused_or_cancelled_creation_stays_on_the_step(
    services: Services, gateway: RecordingGateway, clock: FakeClock, authenticator: SoftAuthenticator
) -> None:
    state = await at_passkey_step(services, gateway, clock)
    assert (await run(state.create_passkey({"name": "x" * 65}))) == []
    assert state.error_id == words.settings.PASSKEY_NAME_INVALID.id
    await run(state.create_passkey({"name": ""}))
    _, options = browser_ceremony(state)
    await run(state.finish_passkey("error:InvalidStateError"))
    assert state.error_id == "passkey.browser.already_on_device"
    await run(state.create_passkey({"name": ""}))  # a new try, a new ceremony
    _, options = browser_ceremony(state)
    await run(state.finish_passkey(authenticator.create(options, rp_id="evil.example")))
    assert state.error == words.settings.PASSKEY_PROBLEMS[PasskeyProblem.REFUSED]
    assert state.step == Step.PASSKEY_SETUP and state.passkeys == []


async def test_a_second_submit_while_the_browser_creates_asks_for_no_second_ceremony(
    services: Services, gateway: RecordingGateway, clock: FakeClock, authenticator: SoftAuthenticator
) -> None:
    """Issue 23: Enter pressed again or a double click submits twice; a second ceremony would replace the first's
    challenge (its answer refused) or, answered later, land on a spent grant."""
    state = await at_passkey_step(services, gateway, clock)
    await run(state.create_passkey({"name": "Key"}))
    pending = state.passkey_creation
    await run(state.create_passkey({"name": "Key"}))
    assert state.passkey_creation == pending and state.error == ""
    _, options = browser_ceremony(state)
    await run(state.finish_passkey(authenticator.create(options)))
    assert state.step == Step.STATUS and state.notice_id == words.settings.PASSKEY_ADDED.id
    assert [p["name"] for p in state.passkeys] == ["Key"]


async def test_a_late_answer_or_submit_after_the_passkey_is_added_changes_nothing(
    services: Services, gateway: RecordingGateway, clock: FakeClock, authenticator: SoftAuthenticator
) -> None:
    """Issue 23: what arrives after the step ended must not open an empty re-authentication form."""
    state = await at_passkey_step(services, gateway, clock)
    await run(state.create_passkey({"name": "Key"}))
    _, options = browser_ceremony(state)
    await run(state.finish_passkey(authenticator.create(options)))
    await run(state.finish_passkey(authenticator.create(options)))  # a second ceremony's answer
    await run(state.create_passkey({"name": "Key"}))  # an Enter that reaches the page after the step
    assert state.step == Step.STATUS and state.notice_id == words.settings.PASSKEY_ADDED.id and state.error == ""
    assert state.passkey_creation == "" and services.passkeys.count(1) == 1


async def test_removing_a_passkey_needs_reauthentication_and_leaves_sms_on(
    services: Services, ada: int, gateway: RecordingGateway, clock: FakeClock
) -> None:
    state = await signed_in_settings(services)
    [passkey] = state.passkeys
    await run(state.start_remove("999"))  # not theirs: nothing starts
    assert state.step == Step.STATUS
    await run(state.start_remove(passkey["id"]))
    assert state.step == Step.REAUTH_PASSWORD and state.target_label == "Laptop"
    await reauthenticate(state, gateway, clock)
    assert state.step == Step.STATUS and state.notice_id == words.settings.PASSKEY_REMOVED.id
    assert state.passkeys == [] and state.two_factor_enabled
    assert services.accounts.get(1).is_two_factor_enabled and services.passkeys.count(1) == 0


async def test_renaming_is_a_guarded_action_on_ones_own_passkey_without_reauthentication(
    services: Services, ada: int
) -> None:
    bob = create_user(services, "bob@example.com", phone="+14155550199").id or 0
    bobs = register_passkey(services, bob, SoftAuthenticator(services.settings.passkey_origin), name="Bob's")
    state = await signed_in_settings(services)
    epoch = services.accounts.get(1).factor_epoch
    [passkey] = state.passkeys
    await run(state.start_rename(passkey["id"]))
    await run(state.rename_passkey({"name": "  "}))
    assert state.error_id == words.settings.PASSKEY_NAME_INVALID.id
    await run(state.rename_passkey({"name": "Phone"}))
    assert [p["name"] for p in state.passkeys] == ["Phone"] and state.notice_id == words.settings.PASSKEY_RENAMED.id
    await run(state.start_rename(str(bobs)))
    await run(state.rename_passkey({"name": "Stolen"}))
    assert services.passkeys.list(bob)[0].name == "Bob's"
    assert services.accounts.get(1).factor_epoch == epoch  # not a factor change


# ---- re-authentication with a passkey, and the activity log --------------------------------------------


async def test_a_passkey_confirms_a_change_in_settings_after_the_password(
    services: Services, ada: int, gateway: RecordingGateway, authenticator: SoftAuthenticator
) -> None:
    state = await signed_in_settings(services)
    await run(state.start(Operation.DISABLE))
    assert state.reauth_method == Factor.PASSKEY  # the strongest factor first (issue 23): texts are one choice away
    await run(state.confirm_password({"password": PASSWORD}))
    ceremony, options = browser_ceremony(state)
    assert ceremony == "get" and callback_handler(state) == "finish_reauth_passkey"
    await run(state.finish_reauth_passkey("error:NotAllowedError"))
    assert state.error.startswith("The passkey request was cancelled") and state.two_factor_enabled
    await run(state.confirm_password({"password": PASSWORD}))
    _, options = browser_ceremony(state)
    await run(state.finish_reauth_passkey(authenticator.get(options)))
    assert state.step == Step.STATUS and state.notice_id == words.message_id(
        words.settings.change_done(Operation.DISABLE, "")
    )
    assert not services.accounts.get(1).is_two_factor_enabled and gateway.sent == []


async def test_without_a_passkey_reauthentication_does_not_offer_one(services: Services) -> None:
    create_user(services, phone=PHONE)
    state = await signed_in_settings(services)
    await run(state.start(Operation.DISABLE))
    await run(state.use_reauth_method(Factor.PASSKEY))
    assert state.reauth_method == Factor.SMS


async def test_passkey_sign_ins_and_refusals_are_in_the_activity_log(
    services: Services, ada: int, authenticator: SoftAuthenticator
) -> None:
    challenge = await at_challenge(services)
    await run(challenge.start_passkey({}))
    _, options = browser_ceremony(challenge)
    await run(challenge.finish_passkey(authenticator.get(options, origin="https://sms2fa.evil.example")))
    await run(challenge.start_passkey({}))
    _, options = browser_ceremony(challenge)
    await run(challenge.finish_passkey(authenticator.get(options)))
    login = make_state(LoginState)
    await run(login.start_passkey_sign_in({}))
    _, options = browser_ceremony(login)
    await run(login.finish_passkey_sign_in(authenticator.get(options)))
    lines = [(entry.kind.value, entry.detail) for entry in services.activity.recent(ada)]
    assert lines == [
        ("signed_in", "passkey"),
        ("signed_in", "passkey"),
        ("second_factor_failed", "passkey"),
    ]
    assert [words.activity.activity_line(entry) for entry in services.activity.recent(ada)][1:] == [
        "Signed in with a passkey",
        "A passkey wasn't accepted",
    ]
