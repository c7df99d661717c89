"""WhatsApp settings: off by default, on with a template name and a WhatsApp sender, never half configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.config import ConfigError
from tests.unit.test_config import PLIVO, PRODUCTION, load

WHATSAPP = {"WHATSAPP_SENDER": "+14155550199", "WHATSAPP_TEMPLATE_NAME": "sms2fa_code"}


def test_whatsapp_is_off_by_default_with_a_20_second_fallback_and_a_price(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert not settings.whatsapp_configured
    assert settings.whatsapp_fallback_seconds == 20
    assert settings.whatsapp_template_languages == ()
    assert dict(settings.whatsapp_price_table)["*"] > 0


def test_whatsapp_is_on_with_plivo_a_template_and_a_sender(tmp_path: Path) -> None:
    settings = load(tmp_path, **PLIVO, **WHATSAPP, WHATSAPP_TEMPLATE_LANGUAGES="es=es, pt_BR=pt_BR")
    assert settings.whatsapp_configured
    assert settings.whatsapp_template_languages == (("es", "es"), ("pt_BR", "pt_BR"))
    assert load(tmp_path, **{**PRODUCTION, **WHATSAPP}).whatsapp_configured


@pytest.mark.parametrize("missing", sorted(WHATSAPP))
@pytest.mark.parametrize("environment", [{}, PRODUCTION])
def test_half_a_whatsapp_setup_is_refused_in_one_line_naming_the_missing_variable(
    tmp_path: Path, missing: str, environment: dict[str, str]
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{**environment, **WHATSAPP, missing: ""})
    assert str(error.value).startswith(f"{missing} is required when WhatsApp is partly configured")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"WHATSAPP_TEMPLATE_LANGUAGES": "es"}, "WHATSAPP_TEMPLATE_LANGUAGES"),
        ({"WHATSAPP_TEMPLATE_LANGUAGES": "es=Spanish"}, "WHATSAPP_TEMPLATE_LANGUAGES"),
        ({"WHATSAPP_TEMPLATE_NAME": "My Template!", "WHATSAPP_SENDER": "+14155550199"}, "WHATSAPP_TEMPLATE_NAME"),
        ({"WHATSAPP_SENDER": "4155550199", "WHATSAPP_TEMPLATE_NAME": "x"}, "WHATSAPP_SENDER"),
        ({"WHATSAPP_FALLBACK_SECONDS": "0"}, "WHATSAPP_FALLBACK_SECONDS"),
        ({"WHATSAPP_FALLBACK_SECONDS": "300", "OTP_TTL_SECONDS": "300"}, "WHATSAPP_FALLBACK_SECONDS"),
        ({"WHATSAPP_FALLBACK_SECONDS": "600"}, "WHATSAPP_FALLBACK_SECONDS"),  # past the default 300 s code
        ({"WHATSAPP_PRICE_TABLE": "US=cheap"}, "WHATSAPP_PRICE_TABLE"),
    ],
)
def test_malformed_whatsapp_settings_name_the_variable(tmp_path: Path, values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **values)
    assert str(error.value).startswith(named) and "\n" not in str(error.value)
