"""Loading the compiled gettext catalogs and looking words up by message id.

Each entry is `msgctxt` = the message id, `msgid` = the English source (a plural adds `msgid_plural`), so a
lookup needs both and English comes back whenever a catalog lacks the entry. The .po files are in the repo; the
.mo files are build output (`make i18n-compile`, part of `make setup`). A missing or stale .mo is compiled here on
first load (into the package when it is writable, else in memory), so a clean clone never serves English by
accident."""

from __future__ import annotations

import gettext
import io
import logging
import os
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
log = logging.getLogger("sms2fa.i18n")


def po_path(locale: str) -> Path:
    """The catalog translators edit."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(locale: str) -> bytes:
    """The .mo bytes of a locale's .po (fuzzy entries left out, as `pybabel compile` does)."""
    with po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    return compiled.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Several workers may compile at once: each writes its own file and renames it over, so none reads half."""
    partial = path.with_name(f"{path.stem}.{os.getpid()}.mo")  # ignored by git like the .mo itself
    partial.write_bytes(data)
    os.replace(partial, path)


def compile_all() -> list[Path]:
    """Write every shipped locale's .mo next to its .po (`make i18n-compile`); the paths written."""
    written = []
    for locale in SUPPORTED_LOCALES:
        if locale != DEFAULT_LOCALE and po_path(locale).exists():
            compiled = po_path(locale).with_suffix(".mo")
            _write_atomically(compiled, compile_catalog(locale))
            written.append(compiled)
    translations.cache_clear()
    return written


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The locale's compiled catalog (English, or an unknown locale: the sources themselves)."""
    if locale == DEFAULT_LOCALE or locale not in SUPPORTED_LOCALES or not po_path(locale).exists():
        return gettext.NullTranslations()
    source = po_path(locale)
    compiled = source.with_suffix(".mo")
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        data = compiled.read_bytes()
    else:
        data = compile_catalog(locale)
        try:
            _write_atomically(compiled, data)
        except OSError:  # a read-only install: keep it in memory
            log.info("i18n_compiled_in_memory locale=%s", locale)
    return gettext.GNUTranslations(io.BytesIO(data))


def translate(locale: str, message_id: str, source: str) -> str:
    """The words of `message_id` in `locale` (the English source when it has none)."""
    return translations(locale).pgettext(message_id, source)


def translate_plural(locale: str, message_id: str, one: str, other: str, count: int) -> str:
    """The plural form of `message_id` for `count` under the locale's CLDR rule (Arabic has six)."""
    return translations(locale).npgettext(message_id, one, other, count)


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(LOCALES_DIR)}")
