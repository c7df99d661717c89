"""A protected page's rule, read from the session's assurance: what is missing, and the rules a developer may write."""

from __future__ import annotations

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD, Amr, Assurance, Level
from sms2fa_app.backend.page_access import PageRule, Shortfall

NOW = 1_800_000_000.0
TWO_FACTORS = Assurance.first(BY_PASSWORD, NOW - 100, complete=False).adding((Amr.SMS,), NOW - 50)
PASSWORD_ONLY = Assurance.first(BY_PASSWORD, NOW - 100, complete=True)
PENDING = Assurance.first(BY_PASSWORD, NOW - 100, complete=False)


@pytest.mark.parametrize(
    ("rule", "assurance", "missing"),
    [
        (PageRule(), None, Shortfall.ANONYMOUS),
        (PageRule(), Assurance(), Shortfall.ANONYMOUS),
        (PageRule(), PENDING, Shortfall.SECOND_FACTOR_PENDING),
        (PageRule(Level.PASSWORD), PENDING, Shortfall.SECOND_FACTOR_PENDING),
        (PageRule(), PASSWORD_ONLY, Shortfall.LEVEL_TOO_LOW),
        (PageRule(Level.PASSWORD), PASSWORD_ONLY, None),
        (PageRule(), TWO_FACTORS, None),
        (PageRule(recent=51), TWO_FACTORS, None),
        (PageRule(recent=50), TWO_FACTORS, Shortfall.STALE),  # the last factor is exactly `recent` old
        (PageRule(recent=50), TWO_FACTORS.reauthenticated((Amr.OTP,), NOW - 1), None),  # a step-up moved it
        (PageRule(recent=50), TWO_FACTORS.reauthenticated(BY_PASSWORD, NOW - 1), Shortfall.STALE),  # not a password
    ],
)
def test_what_a_session_lacks_for_a_rule(rule: PageRule, assurance: Assurance | None, missing: Shortfall) -> None:
    assert rule.shortfall(assurance, NOW, two_factor_on=True) is missing


def test_a_two_factor_session_whose_account_turned_2fa_off_falls_short_of_a_two_factor_page() -> None:
    assert PageRule(recent=60).shortfall(TWO_FACTORS, NOW, two_factor_on=False) is Shortfall.LEVEL_TOO_LOW
    assert PageRule(Level.PASSWORD).shortfall(TWO_FACTORS, NOW, two_factor_on=False) is None


def test_the_last_second_factor_is_what_a_step_up_moves() -> None:
    assert PENDING.second_factor_at is None
    assert TWO_FACTORS.second_factor_at == NOW - 50
    assert TWO_FACTORS.reauthenticated(BY_PASSWORD, NOW).second_factor_at == NOW - 50
    assert TWO_FACTORS.reauthenticated((Amr.HWK, Amr.USER), NOW).second_factor_at == NOW


@pytest.mark.parametrize(
    "arguments", [{"level": Level.NONE}, {"recent": 0}, {"recent": -5}, {"level": Level.PASSWORD, "recent": 60}]
)
def test_a_rule_that_protects_nothing_or_cannot_be_met_is_refused(arguments: dict) -> None:
    with pytest.raises(ValueError):
        PageRule(**arguments)


def test_a_state_shared_by_two_pages_keeps_the_stricter_rule() -> None:
    assert PageRule(Level.PASSWORD).stricter(PageRule(recent=300)) == PageRule(Level.TWO_FACTOR, 300)
    assert PageRule(recent=60).stricter(PageRule(recent=300)) == PageRule(recent=60)
    assert PageRule(Level.PASSWORD).stricter(PageRule(Level.PASSWORD)) == PageRule(Level.PASSWORD)
