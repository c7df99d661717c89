"""The raw token of an emailed link never stays in Reflex state: not in the page's state, not in the router data
Reflex keeps of the page's URL (which the Redis state manager stores for the tab). Only its digest stays.

The page is opened as Reflex opens it: the event's router data (path, URL and query) goes into the root state,
the BrowserTokens middleware runs, then the page's on_load; then every state of the tree is pickled as the Redis
state manager pickles it."""

from __future__ import annotations

import pickle
from urllib.parse import parse_qsl, urlsplit

import reflex as rx

from sms2fa_app.backend.admin.resets import CANCEL_PATH, IdentityCheck, ResetOutcome
from sms2fa_app.backend.services import Services
from sms2fa_app.state.admin import CancelResetState
from sms2fa_app.state.browser_tokens import BrowserTokens
from sms2fa_app.state.password_reset import FACTOR, INVALID, NEW_PASSWORD, ResetPasswordState
from sms2fa_app.state.session import _HYDRATE
from sms2fa_app.state.verify_email import VerifyEmailState
from tests.support import reflex_internals
from tests.support.factories import create_user
from tests.support.recording_mailer import RecordingMailer
from tests.support.states import make_state, run
from tests.unit.state.admin.test_admin_states import NOTE
from tests.unit.state.admin.test_admin_states import account as admin_account

ADA = "ada@example.com"
ORIGIN = "http://localhost:3000"
NEW_PASSPHRASE = "a brand new passphrase 7"


def root_of(state: rx.State) -> rx.State:
    while state.parent_state is not None:
        state = state.parent_state
    return state


def every_state(state: rx.State) -> list[rx.State]:
    pending, found = [root_of(state)], []
    while pending:
        one = pending.pop()
        found.append(one)
        pending.extend(one.substates.values())
    return found


async def open_through_reflex(state: rx.State, link: str) -> None:
    """The browser opens `link`: Reflex puts the event's router data in the root state, then the middleware runs."""
    url = urlsplit(link)
    router_data = {
        "pathname": url.path,
        "asPath": f"{url.path}?{url.query}",
        "query": dict(parse_qsl(url.query)),
        "sid": "sid-a",
        "token": "tab-1",
        "headers": {"origin": ORIGIN},
    }
    root = root_of(state)
    reflex_internals.set_router_data(root, router_data)
    assert await BrowserTokens().preprocess(None, root, rx.event.Event(name=_HYDRATE, payload={})) is None


def stored_anywhere(state: rx.State, raw: str) -> list[str]:
    """The states whose pickle (what the Redis state manager stores) or fields hold `raw`."""
    holders = []
    for one in every_state(state):
        if raw.encode() in pickle.dumps(one) or raw in repr(vars(one)):
            holders.append(one.get_full_name())
    return holders


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


async def reset_page_opened(
    services: Services, mailer: RecordingMailer, phone: str | None = None
) -> tuple[ResetPasswordState, str]:
    """Ada's reset link, mailed and opened through Reflex: (the loaded page, the link)."""
    create_user(services, phone=phone)
    services.password_resets.request(ADA, "203.0.113.9")
    services.jobs.drain()
    link = mailer.last_link(ADA, "/reset-password")
    page = make_state(ResetPasswordState)
    await open_through_reflex(page, link)
    await run(page.load())
    return page, link


async def test_the_reset_page_keeps_only_a_digest_of_its_link(services: Services, mailer: RecordingMailer) -> None:
    page, link = await reset_page_opened(services, mailer)
    assert page.step == NEW_PASSWORD  # the link still works, through its digest
    assert stored_anywhere(page, token_of(link)) == []
    await run(page.set_password({"password": NEW_PASSPHRASE, "confirm_password": NEW_PASSPHRASE}))
    assert services.accounts.log_in(ADA, NEW_PASSPHRASE).issued is not None


async def test_the_reset_page_of_a_2fa_account_keeps_only_a_digest(services: Services, mailer: RecordingMailer) -> None:
    page, link = await reset_page_opened(services, mailer, phone="+14155552671")
    assert page.step == FACTOR
    await run(page.send_code({}))
    assert page.code_sent
    assert stored_anywhere(page, token_of(link)) == []


async def test_the_verification_page_keeps_only_a_digest_of_its_link(
    services: Services, mailer: RecordingMailer
) -> None:
    services.accounts.sign_up(ADA, "a long passphrase 42", "a long passphrase 42")
    services.jobs.drain()
    link = mailer.last_link(ADA, "/verify-email")
    page = make_state(VerifyEmailState)
    await open_through_reflex(page, link)
    page.load()
    assert stored_anywhere(page, token_of(link)) == []
    await run(page.confirm())
    assert page.verified


async def test_the_cancel_page_keeps_only_a_digest_of_its_link(services: Services, mailer: RecordingMailer) -> None:
    admin = admin_account(services, "root@example.com", phone="+16502530000", admin=True)
    user = admin_account(services, ADA, phone="+16502531212")
    assert services.admin.resets.schedule(admin.id, user.id, IdentityCheck.VIDEO_CALL, NOTE, True) is (
        ResetOutcome.SCHEDULED
    )
    services.jobs.drain()
    link = mailer.last_link(ADA, CANCEL_PATH)
    page = make_state(CancelResetState)
    await open_through_reflex(page, link)
    page.load()
    assert stored_anywhere(page, token_of(link)) == []
    await run(page.cancel())
    assert page.cancelled


async def test_a_link_page_opened_without_a_token_forgets_the_last_one(
    services: Services, mailer: RecordingMailer
) -> None:
    page, _link = await reset_page_opened(services, mailer)
    assert page.step == NEW_PASSWORD
    await open_through_reflex(page, f"{ORIGIN}/reset-password")  # the same tab, the address without its token
    await run(page.load())
    assert page.step == INVALID
