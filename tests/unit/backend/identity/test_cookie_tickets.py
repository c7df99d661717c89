"""A cookie ticket counts once, whatever spelling of it comes back: Fernet's base64 decoding ignores characters
it does not expect, so a digest of the ticket's text would let `ticket + "="` be "another" ticket."""

from __future__ import annotations

from collections.abc import Callable

import fakeredis
import pytest

from sms2fa_app.backend.identity.cookie_tickets import FERNET_CLOCK_SKEW_SECONDS, CookieGrant, CookieTickets
from sms2fa_app.backend.infra.clock import FakeClock

SECRET = "s" * 64
RESPELLINGS: list[Callable[[str], str]] = [
    lambda ticket: ticket + "=",
    lambda ticket: ticket + "==",
    lambda ticket: ticket + "!",
    lambda ticket: "*" + ticket,
    lambda ticket: ticket[:10] + "." + ticket[10:],
    lambda ticket: ticket[:10] + "\n" + ticket[10:],
    lambda ticket: ticket.replace("-", "+").replace("_", "/"),
]


def tickets_with(client: fakeredis.FakeRedis, clock: FakeClock) -> CookieTickets:
    return CookieTickets(SECRET, client, clock)


@pytest.mark.parametrize("respell", RESPELLINGS)
def test_a_used_ticket_respelled_is_still_used(respell: Callable[[str], str]) -> None:
    tickets = tickets_with(fakeredis.FakeRedis(), FakeClock())
    ticket = tickets.issue(CookieGrant(session_token="RAW-SESSION-TOKEN"))
    assert tickets.redeem(ticket) == CookieGrant(session_token="RAW-SESSION-TOKEN")
    assert tickets.redeem(ticket) is None
    assert tickets.redeem(respell(ticket)) is None


def test_two_tickets_for_the_same_grant_are_each_good_once() -> None:
    tickets = tickets_with(fakeredis.FakeRedis(), FakeClock())
    first, second = (tickets.issue(CookieGrant(device_token="D")) for _ in range(2))
    assert tickets.redeem(first) and tickets.redeem(second)
    assert tickets.redeem(first) is None and tickets.redeem(second) is None


def test_the_used_marker_lasts_until_the_ticket_expires_counted_from_its_issue() -> None:
    """Redeemed late in its life, the marker still outlives the ticket (Fernet allows some clock skew)."""
    client, clock = fakeredis.FakeRedis(), FakeClock()
    tickets = tickets_with(client, clock)
    ticket = tickets.issue(CookieGrant(session_token="S"))
    clock.advance(tickets.ttl_seconds - 1)
    assert tickets.redeem(ticket)
    (marker,) = client.keys("cookie-ticket-used:*")
    assert client.ttl(marker) >= 1 + FERNET_CLOCK_SKEW_SECONDS
    assert client.ttl(marker) <= tickets.ttl_seconds + FERNET_CLOCK_SKEW_SECONDS


def test_a_ticket_lives_thirty_seconds() -> None:
    tickets = tickets_with(fakeredis.FakeRedis(), clock := FakeClock())
    ticket = tickets.issue(CookieGrant(session_token="S"))
    clock.advance(31)
    assert tickets.redeem(ticket) is None
