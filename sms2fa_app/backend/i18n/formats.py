"""Dates, durations, numbers and lists in a locale's own way (CLDR through Babel), for the words that carry
them. English keeps the forms the product always had ("2026-11-25 18:13 UTC", "5 minutes")."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime

from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE

_UNITS = (("duration-hour", 3600), ("duration-minute", 60))


def when(timestamp: float, locale: str = DEFAULT_LOCALE) -> str:
    """A moment in UTC: "2026-11-25 18:13 UTC" in English, "25 nov 2026, 18:13 UTC" in Spanish."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    if locale == DEFAULT_LOCALE:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    day = format_date(moment, "medium", locale=locale)
    time = format_time(moment, "short", tzinfo=UTC, locale=locale)
    # CLDR's own way of joining a date and a time ("{1}, {0}"); "UTC" reads the same in every locale
    return get_datetime_format("medium", locale=locale).replace("{1}", day).replace("{0}", time) + " UTC"


@functools.lru_cache(maxsize=1024)
def duration(seconds: int, locale: str = DEFAULT_LOCALE) -> str:
    """ "24 hours", "30 minutes", "45 seconds": the largest unit that divides the time, with the locale's plural
    form of it ("5 minutos", "5 دقائق"). Cached: every texted code says its lifetime, and Babel takes tens of
    microseconds to say it (more than the send's Redis call; bench/otp_bench.py)."""
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            return format_unit(seconds // size, unit, length="long", locale=locale)
    return format_unit(seconds, "duration-second", length="long", locale=locale)


def number(value: float, locale: str = DEFAULT_LOCALE) -> str:
    """A number with the locale's separators ("1,234.5", "1.234,5")."""
    return format_decimal(value, locale=locale)


def items(values: Sequence[str], locale: str = DEFAULT_LOCALE) -> str:
    """A list in the locale's words ("a, b and c", "a, b y c")."""
    return format_list(list(values), locale=locale)
