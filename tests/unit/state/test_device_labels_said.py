"""Issue 26: a browser's label ("Chrome on Linux") is a pair of names said in the tab's language by one sentence per
shape, in the sessions list, the remembered devices and the activity page; rows stored in English read back."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sms2fa_app.backend.infra.client import ClientInfo, DeviceLabel
from sms2fa_app.backend.models import RememberedDevice
from sms2fa_app.backend.services import Services
from sms2fa_app.backend.vocabulary import EventKind
from sms2fa_app.state import words
from sms2fa_app.state.activity import ActivityState
from sms2fa_app.state.language import LanguageState  # noqa: F401  # in every new tree, as in the app
from sms2fa_app.state.words.catalogue import TAB_LOCALE, in_tab_locale, message_id
from tests.support.factories import CHROME, PASSWORD, create_user, log_in
from tests.support.states import deliver, make_state, run, settings_signed_in

WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"  # names the system, not the browser
SAID = {
    "es": ("Chrome en Linux", "Un navegador en Windows", "Navegador desconocido"),
    "ar": ("Chrome على Linux", "متصفح على Windows", "متصفح غير معروف"),
}


def said(value: str, locale: str) -> str:
    token = TAB_LOCALE.set(locale)
    try:
        return in_tab_locale(value)
    finally:
        TAB_LOCALE.reset(token)


@pytest.mark.parametrize("locale", list(SAID))
async def test_the_sessions_list_says_the_browser_in_the_tabs_language(services: Services, locale: str) -> None:
    create_user(services)
    for agent in (CHROME, WINDOWS, "curl/8.5.0"):
        services.accounts.log_in("ada@example.com", PASSWORD, "203.0.113.7", agent)
    state = await settings_signed_in(services, two_factor=False)
    shown = {said(entry["browser"], locale) for entry in state.sessions}
    assert set(SAID[locale]) <= shown, shown
    ids = {message_id(entry["browser"]) for entry in state.sessions}
    assert {words.common.BROWSER_ON_SYSTEM.id, words.common.A_BROWSER_ON_SYSTEM.id} <= ids
    chrome = next(entry for entry in state.sessions if entry["browser"] == "Chrome on Linux")
    assert SAID[locale][0] in said(chrome["sign_out"], locale)  # the button's name says it in the sentence too


@pytest.mark.parametrize("locale", list(SAID))
async def test_remembered_devices_old_and_new_are_said_in_the_tabs_language(services: Services, locale: str) -> None:
    create_user(services)
    services.devices.remember(1, CHROME)
    services.devices.remember(1, WINDOWS)
    with services.database.session() as db:  # a row remembered before the labels were translated
        old = db.exec(select(RememberedDevice).order_by(RememberedDevice.id)).first()
        old.label = "Chrome on Linux"
        db.add(old)
    state = await settings_signed_in(services, two_factor=False)
    shown = {said(device["label"], locale) for device in state.devices}
    assert shown == set(SAID[locale][:2]), shown
    assert {message_id(device["label"]) for device in state.devices} == {
        words.common.BROWSER_ON_SYSTEM.id,
        words.common.A_BROWSER_ON_SYSTEM.id,
    }
    assert any(SAID[locale][0] in said(device["forget"], locale) for device in state.devices)


async def test_the_activity_page_says_the_browser_in_the_tabs_language(services: Services) -> None:
    create_user(services)
    with services.database.session() as tx:
        services.activity.record(tx, 1, EventKind.PASSWORD_CHANGED, client=ClientInfo("203.0.113.7", CHROME))
    issued = log_in(services)
    page = make_state(ActivityState)
    await deliver(page, session_token=issued.token)
    await run(page.load())
    assert said(page.entries[-1]["browser"], "es") == SAID["es"][0]
    assert said(page.entries[-1]["browser"], "ar") == SAID["ar"][0]


def test_the_admin_consoles_sign_ins_say_the_browser_in_the_admins_language() -> None:
    where = words.admin.where(DeviceLabel("Chrome", "Linux"), "203.0.113.0/24")
    assert message_id(where) == "admin.activity.where"
    assert said(where, "es") == "Chrome en Linux · 203.0.113.0/24"
    assert said(where, "ar") == "Chrome على Linux · 203.0.113.0/24"


async def test_a_session_from_an_unknown_network_says_so_in_the_tabs_language(services: Services) -> None:
    create_user(services)
    services.accounts.log_in("ada@example.com", PASSWORD, "", CHROME)  # no address: the network is unknown
    state = await settings_signed_in(services, two_factor=False)
    unknown = [entry for entry in state.sessions if entry["browser"] == "Chrome on Linux"]
    assert [(said(entry["network"], "es"), said(entry["network"], "ar")) for entry in unknown] == [
        ("red desconocida", "شبكة غير معروفة")
    ]
    assert message_id(unknown[0]["network"]) == "device.unknown_network"
    assert "red desconocida" in said(unknown[0]["sign_out"], "es")
    curl = next(entry for entry in state.sessions if entry["browser"] == "Unknown browser")
    assert said(curl["sign_out"], "ar").endswith("متصفح غير معروف، شبكة غير معروفة"), said(curl["sign_out"], "ar")
