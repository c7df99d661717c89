"""The checked kinds of text the settings are made of (config.py's Settings names a field by each), and the one
line a bad setting is reported in (the secrets' checks: config_secrets.py; FORWARD_AUTH_RULES: config_rules.py).

Each is a type with its validators: a value that does not fit raises a ValueError whose words follow the
variable's name in the one-line ConfigError.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import NoDecode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALL_COUNTRIES = "*"


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
    if value.strip() == ALL_COUNTRIES:
        return ()  # every country, said explicitly
    return tuple(item.strip().upper() for item in value.split(",") if item.strip())


def module_list(value: Any) -> Any:
    """Comma-separated dotted module names ("myapp.pages, myapp.more")."""
    if not isinstance(value, str):
        return value
    return tuple(item.strip() for item in value.split(",") if item.strip())


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


_PRICE_PAIR = re.compile(r"([A-Z]{2}|\*)=([0-9]{1,4}(\.[0-9]{1,6})?)")


def price_table(value: Any) -> Any:
    """ "US=0.0079, gb=0.04, *=0.05" -> (("*", 0.05), ("GB", 0.04), ("US", 0.0079)): a price per message by
    destination country, "*" for every other one; one line naming the bad pair otherwise."""
    if not isinstance(value, str):
        return value
    prices: dict[str, float] = {}
    for item in (part.strip().upper() for part in value.split(",")):
        if not item:
            continue
        match = _PRICE_PAIR.fullmatch(item.replace(" ", ""))
        if match is None:
            raise ValueError(
                f"must list COUNTRY=PRICE pairs separated by commas, such as US=0.0079,*=0.05, got {item!r}"
            )
        prices[match[1]] = float(match[2])
    return tuple(sorted(prices.items()))


_LANGUAGE_PAIR = re.compile(r"([a-z]{2}(?:_[A-Z]{2})?)=([a-z]{2,3}(?:_[A-Z]{2})?)")


def language_map(value: Any) -> Any:
    """ "es=es, pt_BR=pt_BR" -> (("es", "es"), ("pt_BR", "pt_BR")): our locale -> the WhatsApp template language
    approved for it; one line naming the bad pair otherwise."""
    if not isinstance(value, str):
        return value
    languages: dict[str, str] = {}
    for item in (part.replace(" ", "") for part in value.split(",")):
        if not item:
            continue
        match = _LANGUAGE_PAIR.fullmatch(item)
        if match is None:
            raise ValueError(f"must list LOCALE=LANGUAGE pairs separated by commas, such as es=es,hi=hi, got {item!r}")
        languages[match[1]] = match[2]
    return tuple(sorted(languages.items()))


def email_address(example: str) -> Any:
    """An email address (loosely: the mail server has the last word); a bad one is named with `example`."""
    return Annotated[str, check(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", f"must be an email address such as {example}")]


# The kinds themselves (config.Settings types each field with one of them).
AppEnv = Annotated[Literal["development", "production"], BeforeValidator(lower)]
DataDir = Annotated[Path, AfterValidator(under_project)]
RedisUrl = Annotated[str, check("(redis|rediss|unix)://.*", "must start with redis://, rediss:// or unix://")]
PlivoAuthId = Annotated[str, check("(MA|SA).{18}", "must be 20 characters starting with MA or SA")]
E164 = Annotated[str, check(r"\+[0-9]{7,15}", "must be an E.164 number such as +14155550100")]
# The budget of a code text (backend/delivery/code_text.py): with these, the text that carries a code fits one SMS
# segment in every shipped language, `@host #code` line included (UCS-2 leaves 70 units for all of it).
MAX_APP_NAME_LENGTH = 12
MAX_SITE_HOST_LENGTH = 22
MAX_OTP_TTL_SECONDS = 3600
HttpUrl = Annotated[
    str, AfterValidator(lambda url: url.rstrip("/")), check("https?://.*", "must start with http:// or https://")
]
AppName = Annotated[str, Field(max_length=MAX_APP_NAME_LENGTH)]  # it is in every code text
OtpTtl = Annotated[int, Field(gt=0, le=MAX_OTP_TTL_SECONDS)]
Region = Annotated[
    str, AfterValidator(str.upper), check("[A-Z]{2}", "must be a two-letter country code, got {value!r}")
]
CountryCode = Annotated[str, check("[A-Z]{2}", "must list two-letter country codes separated by commas, got {value!r}")]
Countries = Annotated[tuple[CountryCode, ...] | None, NoDecode, BeforeValidator(comma_list)]  # NoDecode: not JSON
CountryCaps = Annotated[tuple[tuple[str, int], ...], NoDecode, BeforeValidator(country_caps)]  # "LV=20,US=500"
Currency = Annotated[  # ISO 4217, e.g. USD
    str,
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
    check("[A-Z]{3}", "must be a three-letter currency code such as USD or EUR, got {value!r}"),
]
PriceTable = Annotated[tuple[tuple[str, float], ...], NoDecode, BeforeValidator(price_table)]  # "US=0.0079,*=0.05"


def line_types(value: str) -> tuple[str, ...]:
    """PHONE_LINE_TYPES as a sorted set; a list of nothing (",") states no policy, so it is refused."""
    listed = tuple(sorted({kind.strip().lower() for kind in value.split(",") if kind.strip()}))
    if not listed and value.strip():
        raise ValueError(f"must list at least one line type to text (such as mobile), got {value!r}")
    return listed


TextedLineType = Annotated[  # docs/phone-lookup.md: landlines are always called, toll-free never accepted
    str, check("mobile|voip", "must list the line types to text, of mobile and voip (such as mobile), got {value!r}")
]
PhoneLineTypes = Annotated[
    tuple[TextedLineType, ...] | None,
    NoDecode,
    BeforeValidator(lambda value: line_types(value) if isinstance(value, str) else value),
]  # fmt: skip
LookupOnError = Annotated[Literal["allow", "deny"], BeforeValidator(lower)]
LanguageMap = Annotated[tuple[tuple[str, str], ...], NoDecode, BeforeValidator(language_map)]  # "es=es,pt_BR=pt_BR"
# A WhatsApp template's name as Meta accepts it: lower-case letters, digits and underscores.
TemplateName = Annotated[str, check(r"[a-z0-9_]{1,512}", "must be lower-case letters, digits and _, got {value!r}")]
ModuleName = Annotated[
    str, check(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", "must list dotted module names, got {value!r}")
]
ModuleNames = Annotated[tuple[ModuleName, ...], NoDecode, BeforeValidator(module_list)]  # "myapp.pages,myapp.more"
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


def _short_host(url: str) -> str:
    if len(host_of(url)) > MAX_SITE_HOST_LENGTH:
        raise ValueError(
            f"must have a host of at most {MAX_SITE_HOST_LENGTH} characters (it is in every code text's @host line), "
            f"got {host_of(url)!r}"
        )
    return url


AppUrl = Annotated[HttpUrl, AfterValidator(_short_host)]


def is_loopback_host(host: str | None) -> bool:
    """Whether a URL's host name or address stays on this machine (localhost, 127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# What pydantic's own checks mean, worded to follow the variable's name; a validator's ValueError says it itself.
_REASONS = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be {expected}",
}


def config_error_line(error: ValidationError) -> str:
    """The first problem as one line that starts with the variable's name (a whole-model problem names its own)."""
    first = error.errors(include_url=False)[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else ""
    context = first.get("ctx", {})
    if first["type"] == "value_error":
        reason = str(context["error"])
    elif first["type"] in _REASONS:
        reason = f"{_REASONS[first['type']].format(**context)}, got {first['input']!r}"
    else:  # not echoing the input, which may be a secret
        reason = f"is invalid: {first['msg']}"
    return f"{variable} {reason}".strip().replace("\n", " ")
