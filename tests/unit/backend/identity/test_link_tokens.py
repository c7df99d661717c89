"""Single-use link tokens: stored hashed, one use even under a race, expiry, purpose, reissue voids."""

from __future__ import annotations

import threading

from sms2fa_app.backend.identity.link_tokens import LinkPurpose, LinkTokens
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user


def test_a_link_is_used_once_even_by_racing_requests(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    tokens = LinkTokens(services.database, clock)
    raw = tokens.issue(user.id, LinkPurpose.VERIFY_EMAIL, 3600)
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        barrier.wait()
        with services.database.session() as tx:
            wins.append(tokens.consume(tx, LinkPurpose.VERIFY_EMAIL, raw) is not None)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


def test_a_link_serves_only_its_purpose_and_expires(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    tokens = LinkTokens(services.database, clock)
    raw = tokens.issue(user.id, LinkPurpose.RESET_PASSWORD, 1800)
    assert tokens.peek(LinkPurpose.VERIFY_EMAIL, raw) is None
    assert tokens.peek(LinkPurpose.RESET_PASSWORD, raw) is not None
    clock.advance(1800)
    assert tokens.peek(LinkPurpose.RESET_PASSWORD, raw) is None
    with services.database.session() as tx:
        assert tokens.consume(tx, LinkPurpose.RESET_PASSWORD, raw) is None


def test_a_link_needing_a_second_factor_is_used_only_after_one(services: Services, clock: FakeClock) -> None:
    user = create_user(services)
    tokens = LinkTokens(services.database, clock)
    raw = tokens.issue(user.id, LinkPurpose.RESET_PASSWORD, 1800)
    with services.database.session() as tx:
        assert tokens.consume(tx, LinkPurpose.RESET_PASSWORD, raw, require_second_factor=True) is None
    link = tokens.peek(LinkPurpose.RESET_PASSWORD, raw)
    assert link is not None and tokens.mark_second_factor(link)
    with services.database.session() as tx:
        used = tokens.consume(tx, LinkPurpose.RESET_PASSWORD, raw, require_second_factor=True)
    assert used is not None and used.second_factor_done
