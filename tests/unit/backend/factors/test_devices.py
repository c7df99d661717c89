"""Remembered devices: issue and check, expiry, revocation, the factor epoch, other users' tokens."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sms2fa_app.backend.factors import devices as devices_module
from sms2fa_app.backend.factors.devices import (
    REMEMBER_DAYS,
    DeviceInfo,
    RememberedDevices,
    bump_factor_epoch,
)
from sms2fa_app.backend.factors.grants import Operation
from sms2fa_app.backend.flows.factor_changes import FactorChange
from sms2fa_app.backend.infra.client import DeviceLabel
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.crypto import token_digest
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import RememberedDevice, User
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import create_user, granted, log_in
from tests.unit.backend.factors.test_recovery import database_text

PHONE = "+16502531212"
CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0"
DAY = 86_400


@pytest.fixture
def user_id(services: Services) -> int:
    user = create_user(services, phone=PHONE)
    assert user.id is not None
    return user.id


def epoch_of(database: Database, user_id: int) -> int:
    with database.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        return user.factor_epoch


def test_a_remembered_device_checks_and_records_its_use(services: Services, user_id: int, clock: FakeClock) -> None:
    start = clock.now()
    token = services.devices.remember(user_id, CHROME_LINUX)
    assert len(token) >= 43  # 256 bits, URL-safe
    clock.advance(3600)
    assert services.devices.check(user_id, token)
    assert services.devices.list(user_id) == [
        DeviceInfo(device_id=1, label=DeviceLabel("Chrome", "Linux"), first_seen=start, last_used=start + 3600)
    ]


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 129])
def test_unknown_or_malformed_tokens_are_refused(services: Services, user_id: int, token) -> None:
    services.devices.remember(user_id, CHROME_LINUX)
    assert not services.devices.check(user_id, token)


def test_only_a_hash_of_the_token_is_stored(services: Services, user_id: int, database: Database) -> None:
    token = services.devices.remember(user_id, CHROME_LINUX)
    stored = database_text(database)
    assert token not in stored
    assert token_digest(token) in stored


def test_another_users_token_is_refused(services: Services, user_id: int) -> None:
    other = create_user(services, "bob@example.com", phone="+16502531213")
    assert other.id is not None
    theirs = services.devices.remember(other.id, CHROME_LINUX)
    assert not services.devices.check(user_id, theirs)
    assert services.devices.check(other.id, theirs)  # and the owner's device still works


def test_a_device_expires_after_thirty_days(services: Services, user_id: int, clock: FakeClock) -> None:
    assert REMEMBER_DAYS == 30
    token = services.devices.remember(user_id, CHROME_LINUX)
    clock.advance(30 * DAY - 1)
    assert services.devices.check(user_id, token)  # using it does not extend it
    clock.advance(1)
    assert not services.devices.check(user_id, token)
    assert services.devices.list(user_id) == []


def test_the_remember_period_comes_from_the_settings(
    tmp_path, clock: FakeClock, redis_client, database, gateway
) -> None:
    settings = make_settings(tmp_path, REMEMBER_DEVICE_DAYS="7")
    assert make_settings(tmp_path).remember_device_days == 30
    built = build_services(
        settings, clock=clock, redis_client=redis_client, database=database, hasher=FAST_HASHER, gateway=gateway
    )
    user = create_user(built)
    assert user.id is not None
    token = built.devices.remember(user.id, CHROME_LINUX)
    clock.advance(7 * DAY - 1)
    assert built.devices.check(user.id, token)
    clock.advance(1)
    assert not built.devices.check(user.id, token)


def test_forget_revokes_only_the_users_own_device(services: Services, user_id: int) -> None:
    other = create_user(services, "bob@example.com", phone="+16502531213")
    assert other.id is not None
    token = services.devices.remember(user_id, CHROME_LINUX)
    [device] = services.devices.list(user_id)
    assert not services.devices.forget(other.id, device.device_id)
    assert services.devices.check(user_id, token)
    assert services.devices.forget(user_id, device.device_id)
    assert not services.devices.check(user_id, token)
    assert not services.devices.forget(user_id, device.device_id)  # already gone


def test_forget_all_revokes_every_device_of_the_user(services: Services, user_id: int) -> None:
    other = create_user(services, "bob@example.com", phone="+16502531213")
    assert other.id is not None
    mine = [services.devices.remember(user_id, agent) for agent in (CHROME_LINUX, FIREFOX_WINDOWS)]
    theirs = services.devices.remember(other.id, CHROME_LINUX)
    assert services.devices.forget_all(user_id) == 2
    assert not any(services.devices.check(user_id, token) for token in mine)
    assert services.devices.list(user_id) == []
    assert services.devices.check(other.id, theirs)
    assert services.devices.forget_all(user_id) == 0


def test_list_shows_live_devices_newest_first(services: Services, user_id: int, clock: FakeClock) -> None:
    services.devices.remember(user_id, CHROME_LINUX)
    clock.advance(60)
    services.devices.remember(user_id, FIREFOX_WINDOWS)
    firefox, chrome = DeviceLabel("Firefox", "Windows"), DeviceLabel("Chrome", "Linux")
    assert [device.label for device in services.devices.list(user_id)] == [firefox, chrome]
    clock.advance(30 * DAY - 30)  # the first one has expired
    assert [device.label for device in services.devices.list(user_id)] == [firefox]


def test_a_user_keeps_at_most_the_limit_of_devices(
    services: Services, user_id: int, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices_module, "MAX_DEVICES_PER_USER", 3)
    tokens = []
    for _ in range(4):
        tokens.append(services.devices.remember(user_id, CHROME_LINUX))
        clock.advance(10)
    assert services.devices.check(user_id, tokens[1])  # recently used: kept
    services.devices.remember(user_id, CHROME_LINUX)
    assert len(services.devices.list(user_id)) == 3
    assert not services.devices.check(user_id, tokens[0])
    assert not services.devices.check(user_id, tokens[2])
    assert services.devices.check(user_id, tokens[1])


# ---- the factor epoch ----------------------------------------------------------------------------


def test_an_epoch_bump_voids_every_device_but_later_ones_work(
    services: Services, user_id: int, database: Database
) -> None:
    token = services.devices.remember(user_id, CHROME_LINUX)
    with database.session() as db:
        bumped = bump_factor_epoch(db, user_id)
    assert bumped == epoch_of(database, user_id) == 1
    assert not services.devices.check(user_id, token)
    assert services.devices.list(user_id) == []
    fresh = services.devices.remember(user_id, CHROME_LINUX)
    assert services.devices.check(user_id, fresh)


def test_a_stale_epoch_is_refused_even_if_the_row_survives(
    services: Services, user_id: int, database: Database
) -> None:
    token = services.devices.remember(user_id, CHROME_LINUX)
    with database.session() as db:  # an epoch change made without the helper's cleanup
        user = db.get(User, user_id)
        assert user is not None
        user.factor_epoch += 1
        db.add(user)
    assert not services.devices.check(user_id, token)
    assert services.devices.list(user_id) == []


def test_bump_factor_epoch_updates_a_loaded_user(services: Services, user_id: int, database: Database) -> None:
    with database.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        assert bump_factor_epoch(db, user) == 1
        assert user.factor_epoch == 1
        assert bump_factor_epoch(db, user_id) == 2
    assert epoch_of(database, user_id) == 2


def test_turning_2fa_off_or_on_voids_remembered_devices(services: Services, user_id: int, database: Database) -> None:
    token = services.devices.remember(user_id, CHROME_LINUX)
    session = granted(services, log_in(services).session, Operation.DISABLE)
    assert services.factor_changes.disable(session).status is FactorChange.DONE
    assert epoch_of(database, user_id) == 1
    assert not services.devices.check(user_id, token)


def test_enabling_sms_bumps_the_epoch(services: Services, database: Database, gateway) -> None:
    user = create_user(services, "carol@example.com")
    assert user.id is not None
    token = services.devices.remember(user.id, CHROME_LINUX)
    session = granted(services, log_in(services, "carol@example.com").session, Operation.ENABLE_SMS)
    changes = services.factor_changes
    changes.send_enroll_code(session, user, PHONE, PHONE, "203.0.113.7")
    assert changes.verify_enroll_code(session, user, gateway.sent[-1].code, PHONE).status is FactorChange.DONE
    assert epoch_of(database, user.id) == 1
    assert not services.devices.check(user.id, token)


def test_recovery_codes_regenerated_are_not_a_factor_change(
    services: Services, user_id: int, database: Database
) -> None:
    token = services.devices.remember(user_id, CHROME_LINUX)
    services.recovery.generate(user_id)
    services.recovery.generate(user_id)
    assert epoch_of(database, user_id) == 0
    assert services.devices.check(user_id, token)


def test_set_preferred_factor(services: Services, user_id: int, database: Database) -> None:
    services.accounts.set_preferred_factor(user_id, "totp")
    with database.session() as db:
        assert db.get(User, user_id).preferred_factor == "totp"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        services.accounts.set_preferred_factor(user_id, "email")


def test_remember_for_an_unknown_user_raises(database: Database, clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        RememberedDevices(database, clock).remember(999, CHROME_LINUX)


# ---- labels --------------------------------------------------------------------------------------


def test_a_device_keeps_its_browser_and_system_not_english_words(services: Services, user_id: int) -> None:
    """The row holds the pair (said in the reader's language when listed); a row kept in English before reads back."""
    services.devices.remember(user_id, CHROME_LINUX)
    services.devices.remember(user_id, FIREFOX_WINDOWS)
    with services.database.session() as db:
        rows = sorted(db.exec(select(RememberedDevice)).all(), key=lambda row: row.id or 0)
        assert [row.label for row in rows] == ["Chrome|Linux", "Firefox|Windows"]
        rows[1].label = "Browser on Windows"  # written before the labels were translated
        db.add(rows[1])
    labels = {device.label for device in services.devices.list(user_id)}
    assert labels == {DeviceLabel("Chrome", "Linux"), DeviceLabel("", "Windows")}


def test_list_marks_the_device_of_the_token_given(services: Services, user_id: int, clock: FakeClock) -> None:
    mine = services.devices.remember(user_id, "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0")
    clock.advance(1)
    services.devices.remember(user_id, "Mozilla/5.0 (Windows NT 10.0; rv:120.0) Firefox/120.0")
    assert [device.current for device in services.devices.list(user_id, mine)] == [False, True]
    assert not any(device.current for device in services.devices.list(user_id))
