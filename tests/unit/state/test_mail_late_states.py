"""Mail running late, as the signed-in settings say it: only about mail to the signed-in user's own address, so the
banner is no oracle of whether a stranger's address has an account, and no one else's failed mail is shown."""

from __future__ import annotations

import redis

from sms2fa_app.backend.delivery.sms import DeliveryFailure
from sms2fa_app.backend.services import Services
from tests.support.factories import create_user
from tests.support.recording_mailer import RecordingMailer
from tests.support.states import run
from tests.unit.state.test_settings_state import signed_in_settings


class _RedisDown:
    """A Redis client whose every command fails (a blip)."""

    def __getattr__(self, name: str):
        def down(*args, **kwargs):
            raise redis.ConnectionError("blip")

        return down


OWNER = "ada@example.com"  # signed_in_settings' account
PHONE = "+14155551212"


async def test_the_owner_is_told_when_a_mail_to_them_runs_late(services: Services, mailer: RecordingMailer) -> None:
    state = await signed_in_settings(services, phone=PHONE)
    mailer.fail_next(DeliveryFailure.TEMPORARY)
    services.password_resets.request(OWNER, "198.51.100.9")  # any mail to the owner's address
    services.jobs.drain()
    await run(state.load())
    assert state.mail_delayed_id == "settings.mail_delayed" and state.mail_delayed != ""
    services.clock.advance(services.settings.notice_retry_base_seconds + 1)
    services.jobs.drain()  # the retry goes out: the owner's mail is on time again
    assert mailer.to(OWNER)
    await run(state.load())
    assert state.mail_delayed == ""


async def test_another_addresss_failed_mail_is_not_shown(services: Services, mailer: RecordingMailer) -> None:
    create_user(services, "victim@example.org")
    state = await signed_in_settings(services, phone=PHONE)
    mailer.fail_next(DeliveryFailure.TEMPORARY)
    services.password_resets.request("victim@example.org", "198.51.100.9")
    services.jobs.drain()
    await run(state.load())
    assert state.mail_delayed == ""


async def test_the_banner_says_nothing_of_whether_an_address_has_an_account(
    services: Services, mailer: RecordingMailer
) -> None:
    """The attacker makes a mail to their own address fail, then asks "forgot password" for a target: a reset mail
    going out (only for an account) must not clear the attacker's banner."""
    create_user(services, "victim@example.org")
    attacker = await signed_in_settings(services, phone=PHONE)
    shown = []
    for target in ("victim@example.org", "nobody@example.org"):
        mailer.fail_next(DeliveryFailure.TEMPORARY)
        services.password_resets.request(OWNER, "198.51.100.9")
        services.jobs.drain()
        services.password_resets.request(target, "198.51.100.9")
        services.jobs.drain()
        await run(attacker.load())
        shown.append(attacker.mail_delayed != "")
    assert shown == [True, True]


def test_the_flag_keeps_no_address_in_redis(services: Services, mailer: RecordingMailer) -> None:
    mailer.fail_next(DeliveryFailure.TEMPORARY)
    services.notices.mail_operator("ops@example.com", "subject", "text")
    services.jobs.drain()
    keys = [str(key) for key in services.redis.keys("mail:*")]
    assert keys and not any("example.com" in key or "ops" in key for key in keys)
    assert services.mail_health.delayed("ops@example.com") and not services.mail_health.delayed(OWNER)


def test_a_redis_blip_after_the_send_sends_the_mail_once(
    services: Services, mailer: RecordingMailer, monkeypatch
) -> None:
    """Telling the health is best effort: failing it must not fail (and retry) a job whose mail went out."""

    monkeypatch.setattr(services.mail_health, "_redis", _RedisDown())
    services.notices.mail_operator("ops@example.com", "subject", "text")
    services.jobs.drain()
    services.clock.advance(services.settings.notice_retry_base_seconds * 10)
    services.jobs.drain()
    assert len(mailer.to("ops@example.com")) == 1
