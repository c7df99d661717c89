"""The console's states: every handler checks the admin role and 2FA, the chosen account is the server's, and
nothing the browser receives holds a code, a hash or a whole number."""

from __future__ import annotations

import json

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from sms2fa_app.state import words
from sms2fa_app.state.admin import AdminOpsState, AdminUsersState, CancelResetState
from tests.support.factories import create_user
from tests.support.states import client_dict, deliver, make_state, redirect_path, run

PHONE = "+16502531212"
NOTE = "Video call, compared face with the ID on file"


def account(services: Services, email: str, *, phone: str | None = None, admin: bool = False) -> User:
    user = create_user(services, email, phone=phone)
    with services.database.session() as tx:
        stored = tx.get(User, user.id)
        stored.is_admin = admin
        tx.add(stored)
    return user


async def signed_in_as(services: Services, user: User, state_class=AdminUsersState, how: str = "sms"):
    state = make_state(state_class)
    issued = services.sessions.create(user.id, BY_PASSWORD, how=how)
    await deliver(state, session_token=issued.token)
    return state


async def test_a_user_without_the_role_is_refused_on_load_and_on_every_handler(services: Services) -> None:
    account(services, "ada@example.com", phone=PHONE)
    bob = account(services, "bob@example.com", phone="+16502539999")
    state = await signed_in_as(services, bob)
    await run(state.load())
    assert words.message_id(state.refusal) == words.admin.ADMIN_ONLY.id and not state.admitted
    for call in (state.search({"query": "ada"}), state.end_sessions(), state.clear_lockout(), state.choose("1")):
        await run(call)
        assert state.results == [] and state.user == {} and words.message_id(state.refusal) == words.admin.ADMIN_ONLY.id


async def test_an_admin_without_2fa_is_refused(services: Services) -> None:
    admin = account(services, "root@example.com", admin=True)
    state = await signed_in_as(services, admin)
    await run(state.load())
    assert words.message_id(state.refusal) == words.admin.ADMIN_NEEDS_2FA.id and not state.admitted
    await run(state.search({"query": "root"}))
    assert state.results == []


async def test_nobody_signed_in_is_sent_to_log_in(services: Services) -> None:
    state = make_state(AdminUsersState)
    assert redirect_path(await run(state.load())) is not None
    assert redirect_path(await run(state.search({"query": "a"}))) == "/login"


async def test_a_role_revoked_mid_session_stops_the_next_handler(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    state = await signed_in_as(services, admin)
    await run(state.load())
    assert state.admitted
    with services.database.session() as tx:
        stored = tx.get(User, admin.id)
        stored.is_admin = False
        tx.add(stored)
    await run(state.search({"query": "root"}))
    assert state.results == [] and words.message_id(state.refusal) == words.admin.ADMIN_ONLY.id


async def test_an_admin_finds_an_account_and_schedules_a_reset_without_seeing_a_whole_number(
    services: Services,
) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    ada = account(services, "ada@example.com", phone=PHONE)
    services.recovery.generate(ada.id)
    state = await signed_in_as(services, admin)
    await run(state.load())
    await run(state.choose(str(ada.id)))
    assert state.error_id == words.common.INVALID_REQUEST.id and state.user == {}  # only a listed account may be chosen
    await run(state.search({"query": "ada"}))
    assert [row["email"] for row in state.results] == ["ada@example.com"]
    await run(state.choose(state.results[0]["id"]))
    assert state.user["two_factor"] == "on" and "1212" in state.user["factors"]
    await run(state.schedule_reset({"check": "video_call", "note": NOTE, "confirmed": ""}))
    assert state.error_id == "admin.reset.check_not_confirmed" and state.pending_reset == ""
    await run(state.schedule_reset({"check": "video_call", "note": NOTE, "confirmed": "on"}))
    assert state.notice_id == "admin.reset.scheduled" and state.pending_reset != ""
    view = json.dumps(client_dict(state), default=str)
    assert PHONE not in view and PHONE[1:] not in view and "argon2" not in view
    assert "token" not in json.dumps(client_dict(state)[AdminUsersState.get_full_name()])
    await run(state.cancel_reset())
    assert state.notice_id == "admin.reset.cancelled" and state.pending_reset == ""


async def test_arguments_of_the_wrong_type_are_refused(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    state = await signed_in_as(services, admin)
    await run(state.load())
    await run(state.choose(123))  # type: ignore[arg-type]
    assert state.error_id == words.common.INVALID_REQUEST.id
    await run(state.search("x" * 5000))  # type: ignore[arg-type]
    assert state.error_id == words.common.INVALID_REQUEST.id and state.results == []


async def test_the_charts_state_reads_stored_events(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    ops = services.admin.ops_events
    ops.text("sms", "US", "sent", "m1")
    ops.text("sms", "US", "cooldown")
    ops.report("m1", "delivered")
    state = await signed_in_as(services, admin, AdminOpsState)
    await run(state.load())
    assert state.texts_series == [{"key": "US", "color": "#6366f1"}] and state.texts[-1]["US"] == 1
    assert state.refusals == [{"limit": "cooldown", "count": 1}] and state.delivery[-1]["rate"] == 100.0
    bob = account(services, "bob@example.com", phone="+16502539999")
    refused = await signed_in_as(services, bob, AdminOpsState)
    await run(refused.load())
    assert refused.texts == [] and words.message_id(refused.refusal) == words.admin.ADMIN_ONLY.id


async def test_the_cancel_page_uses_its_link_once(services: Services) -> None:
    state = make_state(CancelResetState)
    await run(state.cancel())
    assert (
        state.done
        and not state.cancelled
        and words.message_id(state.message) == words.admin.RESET_CANCEL_LINK_INVALID.id
    )


async def test_a_non_ascii_digit_is_refused_not_raised(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    state = await signed_in_as(services, admin)
    await run(state.load())
    for value in ("²", "١", "1²", "99999999999999999999999"):
        await run(state.choose(value))
        assert state.error_id == words.common.INVALID_REQUEST.id and state.user == {}


async def test_a_session_signed_in_by_a_remembered_browser_is_refused(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    for how in ("device", "password", ""):
        state = await signed_in_as(services, admin, how=how)
        await run(state.load())
        assert words.message_id(state.refusal) == words.admin.ADMIN_NEEDS_FRESH_FACTOR.id and not state.admitted
        await run(state.search({"query": "root"}))
        assert state.results == []
    for how in ("sms", "totp", "passkey", "recovery"):
        state = await signed_in_as(services, admin, how=how)
        await run(state.load())
        assert state.admitted


async def test_an_admin_always_passes_the_challenge(services: Services) -> None:
    user = account(services, "root@example.com", phone="+16502530000")
    token = services.devices.remember(user.id, "Mozilla/5.0")
    assert services.devices.check(user.id, token)
    with services.database.session() as tx:
        stored = tx.get(User, user.id)
        stored.is_admin = True
        tx.add(stored)
    assert not services.devices.check(user.id, token)


async def test_an_admin_cannot_reset_or_unlock_another_admin_from_the_console(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    account(services, "other@example.com", phone=PHONE, admin=True)
    state = await signed_in_as(services, admin)
    await run(state.load())
    await run(state.search({"query": "other"}))
    await run(state.choose(state.results[0]["id"]))
    await run(state.schedule_reset({"check": "video_call", "note": NOTE, "confirmed": "on"}))
    assert state.error_id == "admin.target_admin" and state.pending_reset == ""
    await run(state.clear_lockout())
    assert "command line" in state.error


async def test_an_admin_cannot_end_another_admins_sessions_from_the_console(services: Services) -> None:
    admin = account(services, "root@example.com", phone="+16502530000", admin=True)
    other = account(services, "other@example.com", phone=PHONE, admin=True)
    services.sessions.create(other.id, BY_PASSWORD, how="sms")
    state = await signed_in_as(services, admin)
    await run(state.load())
    await run(state.search({"query": "other"}))
    await run(state.choose(state.results[0]["id"]))
    await run(state.end_sessions())
    assert state.error_id == "admin.target_admin" and state.notice == ""
    assert state.error_id != words.admin.ADMIN_UNKNOWN_USER.id
    assert len(services.sessions.list_for_user(other.id)) == 1 and state.user["sessions"] == "1"
