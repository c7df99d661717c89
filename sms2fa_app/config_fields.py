"""The checked kinds of text the settings are made of (config.py's Settings names a field by each), the secret
key's checks, and the one line a bad setting is reported in.

Each is a type with its validators: a value that does not fit raises a ValueError whose words follow the
variable's name in the one-line ConfigError.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import math
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import NoDecode
from zxcvbn.matching import omnimatch
from zxcvbn.scoring import most_guessable_match_sequence

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("sms2fa.config")
ALL_COUNTRIES = "*"
# SECRET_KEY values published with the project (.env.example); never accepted in production.
SAMPLE_SECRET_KEYS = frozenset({"change-me-to-a-long-random-string-of-48-characters"})
SECRET_ADVICE = 'generate one with: python -c "import secrets; print(secrets.token_hex(32))"'
# A secret the operator chooses must be generated, not made up. Two rules, both on the first SCORED_SECRET_LENGTH
# characters (zxcvbn reads no more; guessing a whole secret takes at least the guesses of its start):
# - zxcvbn's estimate of the guesses an attacker needs must reach 2**128 (64 random hex characters score about 195
#   bits; shorter made-up keys, such as "ThisIsTheProductionSecretKeyOfSms2fa2026", 95);
# - readable runs may cover at most a third of it. zxcvbn multiplies the ranks of the words it finds, so any phrase
#   over ~45 characters clears 2**128 ("the quick brown fox jumps over the lazy dog 1234" scores 141 bits), yet its
#   words cover 0.43 to 0.75 of it. A readable run is a word of 4+ characters from zxcvbn's lists (reversed or l33t:
#   5+, under half of it swapped), a repeat or sequence of 4+, or a keyboard run of 6+. Dates, years and digit-only
#   words are left out: random hex is full of digit runs that read as dates. Over 2000 seeded samples each (review
#   round 2), random keys stay under it: hex of 32 bytes at most 0.28 (18 of 64), urlsafe base64 of 48-64 characters
#   at most 0.29, and no fewer than 194 and 154 bits.
MIN_SECRET_BITS = 128
SCORED_SECRET_LENGTH = 72
MAX_READABLE_SHARE = 1 / 3
MIN_WORD_LENGTH = 4
MIN_DISGUISED_WORD_LENGTH = 5  # a reversed or l33t word
MIN_KEYBOARD_RUN = 6


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


class AccessPolicy(enum.StrEnum):
    """What a forward-auth rule asks of the request (Authelia's access_control policies)."""

    BYPASS = "bypass"  # anyone, signed in or not
    ONE_FACTOR = "one_factor"  # a signed-in session (the password, and the second factor when the account has one)
    TWO_FACTOR = "two_factor"  # a session signed in with two factors
    DENY = "deny"  # nobody

    @property
    def strictness(self) -> int:
        """Its order: bypass < one_factor < two_factor < deny."""
        return list(AccessPolicy).index(self)


@dataclass(frozen=True)
class AccessRule:
    """One FORWARD_AUTH_RULES rule: a policy for some hosts (exact, or `*.example.com` for every subdomain) and
    paths (a prefix such as `/admin/`, or a glob with `*`; none: every path)."""

    policy: AccessPolicy
    hosts: tuple[str, ...]
    paths: tuple[str, ...] = ()


_RULE_HOST = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_RULE_PATH = re.compile(r"/[\x21-\x7e]*")
RULES_EXAMPLE = "two_factor wiki.example.com; bypass *.example.com /public/"


def _access_rule(number: int, text: str) -> AccessRule:
    """One rule, `<policy> <host>[,<host>...] [<path>[,<path>...]]`; a ValueError names it by its number."""
    words = text.split()
    policies = ", ".join(policy.value for policy in AccessPolicy)
    if len(words) not in (2, 3):
        raise ValueError(f"rule {number} must read '<policy> <hosts> [<paths>]' as in {RULES_EXAMPLE!r}, got {text!r}")
    if words[0].lower() not in {policy.value for policy in AccessPolicy}:
        raise ValueError(f"rule {number} has an unknown policy {words[0]!r} (one of {policies})")
    hosts = tuple(host.strip().lower() for host in words[1].split(",") if host.strip())
    paths = tuple(path.strip() for path in words[2].split(",") if path.strip()) if len(words) == 3 else ()
    for host in hosts:
        if not _RULE_HOST.fullmatch(host):
            raise ValueError(f"rule {number} has a bad host {host!r} (a name such as app.example.com or *.example.com)")
    for path in paths:
        if not _RULE_PATH.fullmatch(path):
            raise ValueError(f"rule {number} has a bad path {path!r} (it must start with /)")
    return AccessRule(AccessPolicy(words[0].lower()), hosts, paths)


def access_rules(value: Any) -> Any:
    """FORWARD_AUTH_RULES: rules separated by `;` or new lines, first match wins, default deny."""
    if not isinstance(value, str):
        return value
    texts = [text.strip() for text in re.split(r"[;\n]", value) if text.strip()]
    return tuple(_access_rule(number, text) for number, text in enumerate(texts, start=1))


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
AccessRules = Annotated[tuple[AccessRule, ...], NoDecode, BeforeValidator(access_rules)]  # FORWARD_AUTH_RULES
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


def is_readable_run(match: dict[str, Any]) -> bool:
    """Whether a zxcvbn match is something a person types on purpose (see MAX_READABLE_SHARE), not chance."""
    token: str = match["token"]
    if match["pattern"] == "spatial":
        return len(token) >= MIN_KEYBOARD_RUN
    if match["pattern"] not in ("dictionary", "repeat", "sequence") or len(token) < MIN_WORD_LENGTH:
        return False
    if match["pattern"] == "dictionary" and not any(char.isalpha() for char in token):
        return False  # 1234, 2111: digit runs random hex is full of
    disguised = match.get("l33t") or match.get("reversed")
    if disguised and len(token) < MIN_DISGUISED_WORD_LENGTH:
        return False  # random base64 is full of 4-character reversed or l33t names: "bboR", "C0dI"
    swapped = sum(token.count(char) for char in match.get("sub", {})) if match.get("l33t") else 0
    return swapped * 2 < len(token)


def secret_weakness(secret: str) -> tuple[float, float]:
    """zxcvbn's bits (log2 of its guesses) and the share of characters in readable runs, of the scored start."""
    scored = secret[:SCORED_SECRET_LENGTH]
    matches = omnimatch(scored)
    readable = {index for match in matches if is_readable_run(match) for index in range(match["i"], match["j"] + 1)}
    bits = math.log2(most_guessable_match_sequence(scored, matches)["guesses"])
    return bits, len(readable) / len(scored)


def looks_generated(secret: str) -> bool:
    """Both rules: 2**128 guesses by zxcvbn and at most MAX_READABLE_SHARE of it readable."""
    bits, readable_share = secret_weakness(secret)
    return bits >= MIN_SECRET_BITS and readable_share <= MAX_READABLE_SHARE


def checked_secret(secret: str | None, production: bool, data_dir: Path, secret_key: str | None = None) -> str | None:
    """A secret the operator chooses (SECRET_KEY, METRICS_TOKEN; not one Plivo or a mail provider issues), checked:
    production takes only a generated-looking one, and a METRICS_TOKEN other than secret_key (one leaked value must
    not both read /metrics and sign sessions). An empty SECRET_KEY is, in development only, the key kept in
    data_dir, made on first use."""
    if secret is None:  # an optional one left unset (METRICS_TOKEN: /metrics answers 404)
        return None
    if not secret:
        return development_key(production, data_dir)
    if len(secret) < 32:
        raise ValueError("must be at least 32 characters")
    if production and (secret in SAMPLE_SECRET_KEYS or "change-me" in secret.lower()):
        raise ValueError(f"is the sample value from .env.example; {SECRET_ADVICE}")
    if production and secret == secret_key:
        raise ValueError(f"must differ from SECRET_KEY: {SECRET_ADVICE}")
    if production and not looks_generated(secret):
        raise ValueError(
            f"is too weak for APP_ENV=production (a made-up phrase or a pattern; {MIN_SECRET_BITS} random bits "
            f"needed): {SECRET_ADVICE}"
        )
    return secret


def development_key(production: bool, data_dir: Path) -> str:
    """The development SECRET_KEY kept in data_dir, made on first use; production must be given one."""
    if production:
        raise ValueError("is required when APP_ENV=production")
    key_file = data_dir / "secret_key"
    try:
        if key_file.is_file():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
    except OSError as error:
        raise ValueError(
            f"is not set, and DATA_DIR ({data_dir}) must then be a writable directory for the development key: "
            f"{error.strerror or error}"
        ) from None
    log.warning("SECRET_KEY not set: generated a development key in %s", key_file)
    return key


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
