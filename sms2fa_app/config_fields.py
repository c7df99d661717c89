"""The checked kinds of text the settings are made of (config.py's Settings names a field by each).

Each is a type with its validators: a value that does not fit raises a ValueError whose words follow the
variable's name in the one-line ConfigError.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import NoDecode

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def check(pattern: str, reason: str) -> AfterValidator:
    """A check that the whole value matches pattern; reason follows the variable's name and may show {value!r}."""
    compiled = re.compile(pattern)

    def matches(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(reason.format(value=value))
        return value

    return AfterValidator(matches)


def lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def under_project(path: Path) -> Path:
    return path if path.is_absolute() else PROJECT_ROOT / path


def comma_list(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return tuple(item.strip().upper() for item in value.split(",") if item.strip())


_CAP_PAIR = re.compile(r"([A-Z]{2})=([1-9][0-9]{0,8})")


def country_caps(value: Any) -> Any:
    """ "LV=20, us=500" -> (("LV", 20), ("US", 500)); one line naming the bad pair otherwise."""
    if not isinstance(value, str):
        return value
    caps: dict[str, int] = {}
    for item in (part.strip().upper() for part in value.split(",")):
        if not item:
            continue
        match = _CAP_PAIR.fullmatch(item.replace(" ", ""))
        if match is None:
            raise ValueError(f"must list COUNTRY=NUMBER pairs separated by commas, such as LV=20,US=500, got {item!r}")
        caps[match[1]] = int(match[2])
    return tuple(sorted(caps.items()))


def email_address(example: str) -> Any:
    """An email address (loosely: the mail server has the last word); a bad one is named with `example`."""
    return Annotated[str, check(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", f"must be an email address such as {example}")]


# The kinds themselves (config.Settings types each field with one of them).
AppEnv = Annotated[Literal["development", "production"], BeforeValidator(lower)]
DataDir = Annotated[Path, AfterValidator(under_project)]
RedisUrl = Annotated[str, check("(redis|rediss|unix)://.*", "must start with redis://, rediss:// or unix://")]
PlivoAuthId = Annotated[str, check("(MA|SA).{18}", "must be 20 characters starting with MA or SA")]
E164 = Annotated[str, check(r"\+[0-9]{7,15}", "must be an E.164 number such as +14155550100")]
HttpUrl = Annotated[
    str, AfterValidator(lambda url: url.rstrip("/")), check("https?://.*", "must start with http:// or https://")
]
Region = Annotated[
    str, AfterValidator(str.upper), check("[A-Z]{2}", "must be a two-letter country code, got {value!r}")
]
CountryCode = Annotated[str, check("[A-Z]{2}", "must list two-letter country codes separated by commas, got {value!r}")]
Countries = Annotated[tuple[CountryCode, ...], NoDecode, BeforeValidator(comma_list)]  # NoDecode: not JSON
CountryCaps = Annotated[tuple[tuple[str, int], ...], NoDecode, BeforeValidator(country_caps)]  # "LV=20,US=500"
Percent = Annotated[int, Field(ge=0, le=100)]
Host = Annotated[str, check(r"[^\s/@?#]+", "must be a host name or an IP address such as 127.0.0.1, got {value!r}")]
# A WebAuthn relying-party id is a domain name (browsers refuse an IP address): labels of letters, digits, hyphens.
RpId = Annotated[
    str,
    AfterValidator(str.lower),
    check(
        r"(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*",
        "must be a domain name such as example.com (no scheme, port or IP address), got {value!r}",
    ),
]
# A web origin: scheme and host, an optional port, nothing after it.
Origin = Annotated[
    str,
    AfterValidator(lambda origin: origin.rstrip("/").lower()),
    check(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?", "must be an origin such as https://example.com, got {value!r}"),
]
SmtpSecurity = Annotated[Literal["starttls", "tls", "none"], BeforeValidator(lower)]
Address = email_address("sms2fa@example.com")
OperatorAddress = email_address("ops@example.com")
SmtpHost = Annotated[str, check(r"[A-Za-z0-9.:\[\]-]+", "must be a host name or IP address")]


def host_of(url: str) -> str:
    """The host part of a URL, lower-cased ("" when it has none)."""
    return (urlsplit(url).hostname or "").lower()
