"""The admin suites' backend: real Redis, a real SMTP server for every mail, SQLite, an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services, build_services
from tests.conftest import FAST_HASHER, make_settings
from tests.support.factories import create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.smtp_server import LocalSmtp

WAIT = 3600  # the reset's waiting period in these tests
PHONE = "+16502531212"


@pytest.fixture
def admin_services(
    tmp_path: Path, real_redis: redis.Redis, database: Database, local_smtp: LocalSmtp, clock: FakeClock
) -> Iterator[Services]:
    """Services over real Redis and real SMTP (mails go out when a test drains the queue)."""
    settings = make_settings(
        tmp_path,
        **local_smtp.settings(),
        ADMIN_RESET_WAIT_SECONDS=str(WAIT),
        SMS_PRICE_TABLE="US=0.01,GB=0.04,*=0.05",
        VOICE_PRICE_TABLE="*=0.1",
    )
    yield build_services(
        settings,
        clock=clock,
        redis_client=real_redis,
        database=database,
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
    )


def make_admin(services: Services, email: str = "root@example.com", phone: str = "+16502530000") -> User:
    """An admin with 2FA on."""
    user = create_user(services, email, phone=phone)
    with services.database.session() as tx:
        stored = tx.get(User, user.id)
        assert stored is not None
        stored.is_admin = True
        tx.add(stored)
    fresh = services.accounts.get(user.id or 0)
    assert fresh is not None
    return fresh


def signed_in(services: Services, user: User, count: int = 1) -> list[int]:
    """`count` authenticated sessions of the user; their ids."""
    assert user.id is not None
    return [services.sessions.create(user.id, BY_PASSWORD).session.session_id for _ in range(count)]
