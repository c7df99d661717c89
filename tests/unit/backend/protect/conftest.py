"""Settings with forward-auth rules (the shared `services` fixture is built from them), and the cookie a browser
sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.backend.identity.session_cookie import cookie_policy
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from tests.conftest import make_settings

RULES = (
    "bypass app.example.com /public/,/assets/*.css; deny app.example.com /internal/; "
    "one_factor app.example.com /docs/; two_factor app.example.com; two_factor *.corp.example.com"
)
APP = "https://app.example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, FORWARD_AUTH_RULES=RULES)


def cookie(services: Services, token: str) -> str:
    """The Cookie header a browser holding the session `token` sends (with another cookie beside it)."""
    return f"theme=dark; {cookie_policy(services.settings).session_name}={token}"
