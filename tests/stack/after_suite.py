"""The check that runs once after the whole stack suite, while the stack still runs (the package-scoped
`after_the_stack_suite` fixture of tests/stack/conftest.py calls it; a failure is an error at the last test's
teardown).

No file of the project or of the stack holds a raw session or device token, or the raw token of an emailed link the
browsers opened: not the PostgreSQL cluster, not Redis's snapshot (taken now, with Reflex's state in it), not the
build or any log; nor does any key or value in Redis itself (the snapshot's values are compressed).
"""

from __future__ import annotations

import secrets
import time

import redis
import reflex as rx
from playwright.sync_api import Browser, expect

from scripts.stack import Stack
from sms2fa_app.backend.services import Services
from sms2fa_app.state.password_reset import ResetPasswordState
from tests.e2e.test_tab_replay import tab_id
from tests.support.app_server import ROOT
from tests.support.browser import CSP_WATCH
from tests.support.browser_suite import fresh_context
from tests.support.factories import create_user
from tests.support.smtp_server import LocalSmtp
from tests.support.token_scan import digest, files_containing, link_tokens_in, redis_keys_containing

REFLEX_DB = 1  # REFLEX_REDIS_URL's database (scripts/stack.py)
MIN_TOKENS = 10  # fewer tokens seen prove nothing about where they went


def state_in_redis(stack: Stack, tab: str, state: type[rx.State], timeout: float = 60) -> None:
    """Wait until the tab's state is stored in Redis (its worker holds it in memory until its lease ends)."""
    deadline = time.monotonic() + timeout
    with redis.Redis.from_url(stack.redis.url(REFLEX_DB)) as client:
        while not any(state.get_full_name() in key.decode() for key in client.scan_iter(match=f"{tab}*")):
            assert time.monotonic() < deadline, f"the tab's {state.__name__} never reached Redis"
            time.sleep(0.5)


def no_raw_token_anywhere(
    stack: Stack, seen_tokens: set[str], browser: Browser, backend: Services, mail: LocalSmtp
) -> None:
    # A reset link's page stays open in a tab meanwhile: its state is in Redis (several workers), read from the
    # link's address, and must hold the link's digest only.
    backend.redis.flushdb()  # no limit of the suite's tests in the way (as each test starts)
    email = f"stack-link-{secrets.token_hex(4)}@example.com"
    create_user(backend, email)
    assert backend.password_resets.request(email) == 0
    link = mail.wait_for(email).link_to("/reset-password")
    with fresh_context(browser, stack.url, init_script=CSP_WATCH) as context:
        page = context.new_page()
        page.goto(link)
        expect(page.get_by_label("New password", exact=True)).to_be_visible()  # on_load read the link
        seen_tokens.update(link_tokens_in([link]))
        state_in_redis(stack, tab_id(page), ResetPasswordState)
        assert len(seen_tokens) >= MIN_TOKENS, f"too few tokens seen to prove anything: {len(seen_tokens)}"
        snapshot = stack.redis.save()
        assert snapshot.stat().st_size > 0
        leaked = files_containing(seen_tokens, [stack.root, ROOT])
        found = {token[:6]: [str(path) for path in paths] for token, paths in leaked.items()}
        assert not leaked, f"raw tokens on disk (first characters: files): {found}"
        in_redis = {token[:6]: keys for token, keys in redis_keys_containing(stack.redis.url, seen_tokens).items()}
        assert not in_redis, f"raw tokens in Redis (first characters: keys): {in_redis}"
    # The search does read the stack's files: the server keeps the tokens' digests (database, Reflex's state).
    assert files_containing({digest(token) for token in seen_tokens}, [stack.root])
