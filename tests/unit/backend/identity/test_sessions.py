"""Server-side sessions: tokens, stages, rotation, idle/absolute/pending expiry, logout."""

from __future__ import annotations

from pathlib import Path

from fakeredis import FakeRedis
from sqlmodel import select

from sms2fa_app.backend.assurance import BY_PASSWORD, Amr
from sms2fa_app.backend.identity.accounts import LoginOutcome
from sms2fa_app.backend.infra.client import DeviceLabel
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import LoginSession
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import make_settings
from tests.support.factories import PASSWORD, create_user


def test_token_is_random_and_only_its_hash_is_stored(services: Services) -> None:
    user = create_user(services)
    first = services.sessions.create(user.id, BY_PASSWORD)
    second = services.sessions.create(user.id, BY_PASSWORD)
    assert first.token != second.token
    assert len(first.token) >= 43  # 256 bits, URL-safe base64
    with services.database.session() as db:
        stored = [row.token_hash for row in db.exec(select(LoginSession))]
    assert first.token not in stored and second.token not in stored
    assert services.sessions.resolve(first.token).user_id == user.id


def test_tampered_missing_or_oversized_tokens_resolve_to_nothing(services: Services) -> None:
    user = create_user(services)
    issued = services.sessions.create(user.id, BY_PASSWORD)
    tampered = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    assert services.sessions.resolve(tampered) is None
    assert services.sessions.resolve("") is None
    assert services.sessions.resolve(None) is None
    assert services.sessions.resolve("x" * 10_000) is None


def test_advancing_the_stage_issues_a_new_token_and_voids_the_old(services: Services) -> None:
    user = create_user(services)
    pending = services.sessions.create(user.id, BY_PASSWORD, complete=False)
    advanced = services.sessions.advance(pending.token, (Amr.SMS,))
    assert advanced is not None and advanced.token != pending.token
    assert services.sessions.resolve(pending.token) is None
    session = services.sessions.resolve(advanced.token)
    assert session.is_authenticated and session.session_id == pending.session.session_id


def test_idle_timeout(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    issued = services.sessions.create(user.id, BY_PASSWORD)
    clock.advance(services.settings.session_idle_seconds - 60)
    assert services.sessions.resolve(issued.token) is not None  # activity keeps it alive
    clock.advance(services.settings.session_idle_seconds - 60)
    assert services.sessions.resolve(issued.token) is not None
    clock.advance(services.settings.session_idle_seconds)
    assert services.sessions.resolve(issued.token) is None
    with services.database.session() as db:
        assert db.exec(select(LoginSession)).first() is None  # expired sessions are deleted


def test_absolute_timeout_despite_activity(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    issued = services.sessions.create(user.id, BY_PASSWORD)
    step = services.settings.session_idle_seconds // 2
    elapsed = 0
    while elapsed + step < services.settings.session_absolute_seconds:
        clock.advance(step)
        elapsed += step
        assert services.sessions.resolve(issued.token) is not None
    clock.advance(step)
    assert services.sessions.resolve(issued.token) is None


def test_pending_second_factor_expires_ten_minutes_after_the_password(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    pending = services.sessions.create(user.id, BY_PASSWORD, complete=False)
    clock.advance(services.settings.pending_2fa_seconds - 1)
    assert services.sessions.resolve(pending.token) is not None
    clock.advance(1)
    assert services.sessions.resolve(pending.token) is None
    assert services.sessions.advance(pending.token, (Amr.SMS,)) is None


def test_end_and_end_all(services: Services) -> None:
    user = create_user(services)
    one = services.sessions.create(user.id, BY_PASSWORD)
    two = services.sessions.create(user.id, BY_PASSWORD)
    three = services.sessions.create(user.id, BY_PASSWORD)
    services.sessions.end(one.token)
    assert services.sessions.resolve(one.token) is None
    assert services.sessions.end_all_for_user(user.id, keep_session_id=two.session.session_id) == 1
    assert services.sessions.resolve(two.token) is not None
    assert services.sessions.resolve(three.token) is None


def test_session_ids_are_never_reused(services: Services) -> None:
    """Codes and re-authentication grants are bound to the session id: a new login must get a new one."""
    user = create_user(services)
    first = services.sessions.create(user.id, BY_PASSWORD)
    services.sessions.end(first.token)
    second = services.sessions.create(user.id, BY_PASSWORD)
    assert second.session.session_id > first.session.session_id


CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


def test_the_users_live_sessions_are_listed_with_browser_network_and_times(
    services: Services, clock: FakeClock
) -> None:
    user = create_user(services)
    other = create_user(services, "bob@example.com")
    first = services.sessions.create(user.id, BY_PASSWORD, "203.0.113.77", CHROME)
    clock.advance(60)
    second = services.sessions.create(user.id, BY_PASSWORD, "2001:db8:1:2::3", "curl/8", complete=False)
    services.sessions.create(other.id, BY_PASSWORD)
    listed = services.sessions.list_for_user(user.id)
    assert [(s.session_id, s.browser, s.network, s.signed_in) for s in listed] == [
        (second.session.session_id, DeviceLabel(), "2001:db8:1::/48", False),
        (first.session.session_id, DeviceLabel("Chrome", "Linux"), "203.0.113.0/24", True),
    ]
    assert listed[1].started_at == listed[1].last_seen_at == clock.now() - 60
    clock.advance(services.settings.pending_2fa_seconds)  # the one waiting for its second factor expires
    assert [s.session_id for s in services.sessions.list_for_user(user.id)] == [first.session.session_id]
    clock.advance(services.settings.session_idle_seconds)
    assert services.sessions.list_for_user(user.id) == []


def test_a_user_ends_only_their_own_sessions(services: Services) -> None:
    user = create_user(services)
    other = create_user(services, "bob@example.com")
    mine = services.sessions.create(user.id, BY_PASSWORD)
    theirs = services.sessions.create(other.id, BY_PASSWORD)
    assert not services.sessions.end_for_user(user.id, theirs.session.session_id)
    assert services.sessions.resolve(theirs.token) is not None
    assert services.sessions.end_for_user(user.id, mine.session.session_id)
    assert services.sessions.resolve(mine.token) is None


def test_every_sign_in_is_logged_with_how_it_was_made(services: Services) -> None:
    user = create_user(services)
    pending = services.sessions.create(user.id, BY_PASSWORD, complete=False)
    assert services.activity.recent(user.id) == []  # the password alone is no sign-in with 2FA on
    services.sessions.advance(pending.token, (Amr.OTP,), "totp")
    services.sessions.create(user.id, BY_PASSWORD, "203.0.113.77", CHROME)
    entries = services.activity.recent(user.id)
    assert [(e.kind.value, e.detail) for e in entries] == [("signed_in", "password"), ("signed_in", "totp")]
    assert entries[0].browser == DeviceLabel("Chrome", "Linux") and entries[0].network == "203.0.113.0/24"


def test_a_session_and_its_user_resolve_in_one_query_under_the_same_rules(services: Services, clock: FakeClock) -> None:
    user = create_user(services, phone="+14155551212")
    issued = services.sessions.create(user.id, BY_PASSWORD, complete=False)
    session, found = services.sessions.resolve_with_user(issued.token)
    assert session == services.sessions.resolve(issued.token)
    assert found.id == user.id and found.phone_number == "+14155551212"
    assert services.sessions.resolve_with_user("x" * 10_000) is None
    clock.advance(services.settings.pending_2fa_seconds)
    assert services.sessions.resolve_with_user(issued.token) is None  # expired, and deleted
    assert services.sessions.resolve(issued.token) is None


def test_25_logins_leave_the_20_newest_sessions_and_end_the_oldest(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    issued = []
    for _ in range(25):
        result = services.accounts.log_in(user.email, PASSWORD, "203.0.113.7", "Mozilla/5.0")
        assert result.issued is not None
        issued.append(result.issued)
        clock.advance(1)
    assert len(services.sessions.list_for_user(user.id)) == 20
    with services.database.session() as db:
        assert len(db.exec(select(LoginSession).where(LoginSession.user_id == user.id)).all()) == 20
    assert [services.sessions.resolve(old.token) for old in issued[:5]] == [None] * 5
    assert all(services.sessions.resolve(new.token) is not None for new in issued[5:])


def test_the_cap_is_max_sessions_per_user(tmp_path: Path, clock: FakeClock, database: Database) -> None:
    settings = make_settings(tmp_path, MAX_SESSIONS_PER_USER="3")
    services = build_services(settings, clock=clock, redis_client=FakeRedis(decode_responses=True), database=database)
    user = create_user(services)
    issued = [services.sessions.create(user.id, BY_PASSWORD) for _ in range(4)]
    assert [services.sessions.resolve(each.token) is not None for each in issued] == [False, True, True, True]


def test_the_cap_counts_one_account_only(services: Services) -> None:
    ada, bob = create_user(services), create_user(services, "bob@example.com")
    bob_session = services.sessions.create(bob.id, BY_PASSWORD)
    for _ in range(25):
        services.sessions.create(ada.id, BY_PASSWORD)
    assert services.sessions.resolve(bob_session.token) is not None


def test_25_password_only_logins_of_a_2fa_account_leave_its_signed_in_session(
    services: Services, clock: FakeClock
) -> None:
    """Review M1: someone who knows only the password must not sign the owner out by logging in again and again
    (each stops at the second factor); only the oldest pending sessions make way for new ones."""
    user = create_user(services, phone="+16502531212")
    owner = services.sessions.create(user.id, BY_PASSWORD)
    pending = []
    for _ in range(25):
        clock.advance(1)
        result = services.accounts.log_in(user.email, PASSWORD, "198.51.100.9", "curl/8")
        assert result.outcome is LoginOutcome.SECOND_FACTOR_REQUIRED and result.issued is not None
        pending.append(result.issued)
    assert services.sessions.resolve(owner.token) is not None
    newest_pending = pending[-5:]  # the pending cap
    assert [services.sessions.resolve(each.token) is not None for each in pending] == [
        each in newest_pending for each in pending
    ]


def test_25_full_sign_ins_leave_the_20_newest_and_a_new_pending_login_ends_none(
    services: Services, clock: FakeClock
) -> None:
    user = create_user(services, phone="+16502531212")
    signed_in = []
    for _ in range(25):
        clock.advance(1)
        pending = services.sessions.create(user.id, BY_PASSWORD, complete=False)
        advanced = services.sessions.advance(pending.token, (Amr.SMS,), how="sms")
        assert advanced is not None
        signed_in.append(advanced)
    alive = [services.sessions.resolve(each.token) is not None for each in signed_in]
    assert alive == [False] * 5 + [True] * 20
    services.sessions.create(user.id, BY_PASSWORD, complete=False)  # waits for its second factor: ends nobody
    assert len([each for each in services.sessions.list_for_user(user.id) if each.signed_in]) == 20


def test_the_cap_ends_the_least_recently_seen_signed_in_session(
    tmp_path: Path, clock: FakeClock, database: Database
) -> None:
    settings = make_settings(tmp_path, MAX_SESSIONS_PER_USER="2")
    services = build_services(settings, clock=clock, redis_client=FakeRedis(decode_responses=True), database=database)
    user = create_user(services)
    first = services.sessions.create(user.id, BY_PASSWORD)
    clock.advance(60)
    second = services.sessions.create(user.id, BY_PASSWORD)
    clock.advance(60)
    assert services.sessions.resolve(first.token) is not None  # the oldest, but the one in use
    third = services.sessions.create(user.id, BY_PASSWORD)
    alive = [services.sessions.resolve(each.token) is not None for each in (first, second, third)]
    assert alive == [True, False, True]
