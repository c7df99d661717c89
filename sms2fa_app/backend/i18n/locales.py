"""Which locales ship and how one is chosen: first match wins (the user's stored choice, then Accept-Language,
then, for texts and calls, the phone's country, then English). Each step is its own function so that a caller
uses only the steps it has (a worker sending a text has no Accept-Language; a page has no phone)."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

DEFAULT_LOCALE = "en"
# English first (the source), then every locale with a complete catalog. Babel's spelling (pt_BR).
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es", "pt_BR", "de", "ar", "hi")
RIGHT_TO_LEFT = frozenset({"ar"})
MAX_ACCEPT_LANGUAGE = 512  # a longer header is cut: nobody prefers more languages than fit in it
_TAG = re.compile(r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$")


def supported(value: object) -> str | None:
    """The shipped locale a stored or typed tag names ("pt-br", "pt_BR", "ES" ...), or None."""
    if not isinstance(value, str) or not _TAG.fullmatch(value.strip()):
        return None
    wanted = value.strip().replace("-", "_").lower()
    exact = {locale.lower(): locale for locale in SUPPORTED_LOCALES}
    if wanted in exact:
        return exact[wanted]
    return _by_language().get(wanted.partition("_")[0])


@cache
def _by_language() -> dict[str, str]:
    """A bare language ("pt", "es") or a regional variant ("es_MX", "pt_PT") falls back to the shipped locale
    of that language."""
    return {locale.partition("_")[0].lower(): locale for locale in SUPPORTED_LOCALES}


def from_stored_choice(choice: str | None) -> str | None:
    """Step 1: the language the user picked in settings (users.locale), if it still ships."""
    return supported(choice) if choice else None


def from_accept_language(header: str | None) -> str | None:
    """Step 2: the browser's Accept-Language, best quality first ("*" and q=0 ignored; malformed parts skipped)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = _quality(params)
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        found = supported(tag)
        if found:
            return found
    return None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def from_phone_region(region: str | None) -> str | None:
    """Step 3 (texts and calls only): the country's first official language in CLDR, when it ships (IN -> hi,
    BR -> pt_BR, EG -> ar, CH -> de; IL's first is Hebrew, which does not ship, so None)."""
    if not region or not re.fullmatch(r"[A-Za-z]{2}", region):
        return None
    languages = get_official_languages(region.upper(), de_facto=True)
    return supported(languages[0]) if languages else None


def negotiate(*, stored: str | None = None, accept_language: str | None = None, phone_region: str | None = None) -> str:
    """The locale to use: the first step that finds one, else English."""
    return (
        from_stored_choice(stored)
        or from_accept_language(accept_language)
        or from_phone_region(phone_region)
        or DEFAULT_LOCALE
    )


def for_recipient(stored: str | None, phone_region: str | None = None) -> str:
    """A mail's, text's or call's language: the recipient's choice, else (texts and calls) their phone's country,
    else English; never the sender's (an admin's or a worker's) language."""
    return negotiate(stored=stored, phone_region=phone_region)


def language_tag(locale: str) -> str:
    """The BCP 47 tag for `<html lang>` and Content-Language ("pt_BR" -> "pt-BR")."""
    return locale.replace("_", "-")


def is_right_to_left(locale: str) -> bool:
    """Whether the locale's script reads right to left (`dir="rtl"`)."""
    return locale in RIGHT_TO_LEFT


def display_name(locale: str) -> str:
    """The locale's name in itself, for a language picker ("Español", "हिन्दी")."""
    try:
        name = Locale.parse(locale).get_display_name(locale) or locale
    except (UnknownLocaleError, ValueError):
        return locale
    return name[:1].upper() + name[1:]
