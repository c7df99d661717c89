"""Fixtures of the factor tests: an OtpService on fakeredis with the FakeClock and a recording gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.factors.sms_codes import OtpService
from sms2fa_app.backend.infra.clock import FakeClock
from tests.conftest import make_settings
from tests.support.recording_gateway import RecordingGateway


@pytest.fixture
def make_otp(tmp_path: Path, redis_client, gateway: RecordingGateway, clock: FakeClock):
    def make(client=None, **overrides: str) -> OtpService:
        settings = make_settings(tmp_path, **overrides)
        return OtpService(client if client is not None else redis_client, gateway, clock, settings)

    return make


@pytest.fixture
def otp(make_otp) -> OtpService:
    return make_otp()
