"""Services with forward-auth rules, and helpers to ask the verifier as a proxy would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest

from sms2fa_app.backend.identity.session_cookie import cookie_policy
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.services import Services, build_services, set_services
from sms2fa_app.config import Settings
from tests.conftest import FAST_HASHER, make_settings
from tests.support.recording_gateway import RecordingGateway
from tests.support.recording_mailer import RecordingMailer

RULES = (
    "bypass app.example.com /public/,/assets/*.css; deny app.example.com /internal/; "
    "one_factor app.example.com /docs/; two_factor app.example.com; two_factor *.corp.example.com"
)
APP = "https://app.example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, FORWARD_AUTH_RULES=RULES)


@pytest.fixture
def services(
    settings: Settings, clock: FakeClock, redis_client: fakeredis.FakeRedis, database: Database
) -> Iterator[Services]:
    built = build_services(
        settings,
        clock=clock,
        redis_client=redis_client,
        database=database,
        hasher=FAST_HASHER,
        gateway=RecordingGateway(),
        mailer=RecordingMailer(),
    )
    set_services(built)
    yield built
    set_services(None)


def cookie(services: Services, token: str) -> str:
    """The Cookie header a browser holding the session `token` sends (with another cookie beside it)."""
    return f"theme=dark; {cookie_policy(services.settings).session_name}={token}"
