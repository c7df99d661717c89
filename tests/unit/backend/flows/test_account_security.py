"""Revoke everything: the one finish of a factor change, a password reset and an admin's 2FA reset."""

from __future__ import annotations

from sqlmodel import col, select

from sms2fa_app.backend.audit.activity import EventKind
from sms2fa_app.backend.flows.account_security import revoke_everything
from sms2fa_app.backend.identity.link_tokens import LinkPurpose
from sms2fa_app.backend.models import LinkToken
from sms2fa_app.backend.services import Services
from tests.support.factories import account, create_user, signed_in

PHONE = "+16502531212"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0"


def _unused_link_purposes(services: Services) -> list[str]:
    with services.database.session() as db:
        return list(db.exec(select(LinkToken.purpose).where(col(LinkToken.used_at).is_(None))).all())


def test_it_ends_sessions_voids_devices_and_reset_links_and_logs(services: Services) -> None:
    user = create_user(services, phone=PHONE)
    assert user.id is not None
    kept_token, kept = signed_in(services)
    other_token, _other = signed_in(services)
    device = services.devices.remember(user.id, BROWSER)
    services.password_resets.request(user.email, "203.0.113.7")
    services.jobs.drain()
    epoch = account(services).factor_epoch
    assert _unused_link_purposes(services) == [LinkPurpose.RESET_PASSWORD.value]

    with services.database.session() as tx:
        event, keep = EventKind.PASSWORD_CHANGED, kept.session_id
        revoked = revoke_everything(tx, services.sessions, services.activity, user.id, event, keep_session_id=keep)

    assert revoked.sessions_ended == 1
    assert revoked.factor_epoch == epoch + 1 == account(services).factor_epoch
    assert services.sessions.resolve(other_token) is None
    assert services.sessions.resolve(kept_token) is not None
    assert not services.devices.check(user.id, device)
    assert _unused_link_purposes(services) == []
    kinds = [event.kind for event in services.activity.recent(user.id)]
    assert EventKind.PASSWORD_CHANGED in kinds
