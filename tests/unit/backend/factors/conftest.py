"""Fixtures of the factor tests: an OtpService on the test's fakeredis, clock and recording gateway; an account
enrolled for SMS; a software passkey authenticator."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.infra.clock import FakeClock
from sms2fa_app.backend.models import User
from sms2fa_app.backend.services import Services
from tests.conftest import make_settings
from tests.support.factories import OLD_PHONE, create_user
from tests.support.recording_gateway import RecordingGateway
from tests.support.soft_authenticator import SoftAuthenticator


@pytest.fixture
def make_otp(tmp_path: Path, redis_client, gateway: RecordingGateway, clock: FakeClock):
    def make(client=None, **overrides: str) -> OtpService:
        settings = make_settings(tmp_path, **overrides)
        return OtpService(client if client is not None else redis_client, gateway, clock, settings)

    return make


@pytest.fixture
def otp(make_otp) -> OtpService:
    return make_otp()


@pytest.fixture
def enrolled(services: Services) -> User:
    """User 1 (ada@example.com) with 2FA on by a text to OLD_PHONE."""
    return create_user(services, phone=OLD_PHONE)


@pytest.fixture
def authenticator(services: Services) -> SoftAuthenticator:
    """The browser's passkey provider, for this site's origin."""
    return SoftAuthenticator(services.settings.passkey_origin)
