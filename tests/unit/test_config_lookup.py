"""Plivo Lookup's settings (issue 27): development works with none; production must state the policy and the
outage rule, each refusal one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms2fa_app.config import ConfigError
from tests.unit.test_config import PRODUCTION, load


def test_development_needs_no_lookup_settings(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings.phone_line_types == ("mobile",) and settings.phone_lookup_on_error == "allow"
    assert settings.phone_lookup_ttl_days == 30 and settings.plivo_lookup_url == "https://lookup.plivo.com"


@pytest.mark.parametrize(
    ("spoiled", "line"),
    [
        ({"PHONE_LINE_TYPES": ""}, "PHONE_LINE_TYPES is required when APP_ENV=production"),
        ({"PHONE_LOOKUP_ON_ERROR": ""}, "PHONE_LOOKUP_ON_ERROR is required when APP_ENV=production"),
        ({"PLIVO_LOOKUP_URL": "http://lookup.plivo.com"}, "PLIVO_LOOKUP_URL must use https://"),
    ],
)
def test_production_must_state_the_lookup_policy(tmp_path: Path, spoiled: dict[str, str], line: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{**PRODUCTION, **spoiled})
    assert str(error.value).startswith(line) and "\n" not in str(error.value)


def test_production_takes_the_stated_policy(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        **{**PRODUCTION, "PHONE_LINE_TYPES": " VoIP, mobile ", "PHONE_LOOKUP_ON_ERROR": "DENY"},
        PLIVO_LOOKUP_URL="http://127.0.0.1:9000/",
        PHONE_LOOKUP_TTL_DAYS="7",
    )
    assert settings.phone_line_types == ("mobile", "voip") and settings.phone_lookup_on_error == "deny"
    assert settings.plivo_lookup_url == "http://127.0.0.1:9000" and settings.phone_lookup_ttl_days == 7


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"PHONE_LINE_TYPES": "fixed"}, "PHONE_LINE_TYPES"),  # landlines are called, never listed to be texted
        ({"PHONE_LINE_TYPES": "mobile,sms"}, "PHONE_LINE_TYPES"),
        ({"PHONE_LOOKUP_ON_ERROR": "maybe"}, "PHONE_LOOKUP_ON_ERROR"),
        ({"PHONE_LOOKUP_TTL_DAYS": "0"}, "PHONE_LOOKUP_TTL_DAYS"),
        ({"PLIVO_LOOKUP_URL": "lookup.plivo.com"}, "PLIVO_LOOKUP_URL"),
    ],
)
def test_bad_lookup_settings_are_one_line_naming_the_variable(
    tmp_path: Path, values: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **values)
    assert str(error.value).startswith(named) and "\n" not in str(error.value)


@pytest.mark.parametrize("empty", [",", " , ,"])
def test_a_phone_line_types_that_lists_nothing_is_refused(tmp_path: Path, empty: str) -> None:
    """ "," states no policy at all: refused (one line naming the variable), in production and everywhere (F6)."""
    for environment in (PRODUCTION, {}):
        with pytest.raises(ConfigError) as error:
            load(tmp_path, **{**environment, "PHONE_LINE_TYPES": empty})
        assert str(error.value).startswith("PHONE_LINE_TYPES") and "\n" not in str(error.value)
