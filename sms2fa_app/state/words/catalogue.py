"""Typed words: every user-facing sentence is a `Text` with a stable id and its English source, declared once.

Why: tests and the browser assert ids, not English, and gettext (issue 26; backend/i18n) renders them per locale
by id: `make i18n-extract` (`pybabel extract -k Text:1c,2 -k Plural:1c,2,3`) writes each as msgctxt = id,
msgid = the English source. Parameters are named
(`{wait}`, `{ending}`), plurals are separate forms (`Plural`), and a sentence is never glued from pieces.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cache
from typing import Any

from sms2fa_app.backend.i18n.catalogs import translate, translate_plural
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE

# The language of the tab whose update is being built (state/language.py sets it before each event): words a state
# holds are kept with their id and parameters, and reach the browser in this language (state/said.py).
TAB_LOCALE: ContextVar[str] = ContextVar("sms2fa_tab_locale", default=DEFAULT_LOCALE)
_CATALOGUE: dict[str, str] = {}  # id -> English source (a plural's forms are listed under "<id>#one"/"<id>#other")
_FIELD = re.compile(r"\{(\w+)\}")


def _register(message_id: str, source: str) -> None:
    if _CATALOGUE.setdefault(message_id, source) != source:
        raise ValueError(f"message id {message_id!r} is declared twice with different words")
    _patterns.cache_clear()
    _sources_by_id.cache_clear()


class Text(str):
    """One sentence (or label) the user reads: its English source is the str value, its id says which it is.

    A Text without parameters is used as a str; one with `{named}` parameters is rendered with `format`."""

    id: str

    def __new__(cls, message_id: str, source: str) -> Text:
        text = super().__new__(cls, source)
        text.id = message_id
        _register(message_id, source)
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy in the state store comes back as words with their id: never as a new declaration (after a deploy
        # that reworded it, that would clash with the catalogue's own).
        return (Rendered, (self.id, str(self)))

    def format(self, *args: object, **params: object) -> str:
        """The words with their parameters filled in, still knowing their id (and, to be said in another
        language later, their parameters)."""
        return Rendered(self.id, super().format(*args, **params), params)

    def translated(self, locale: str, **params: object) -> str:
        """The words in `locale` (its catalog's entry for this id; English when it has none), parameters filled
        in, still knowing their id."""
        words = translate(locale, self.id, str(self))
        return Rendered(self.id, words.format(**params) if params else words)


class Rendered(str):
    """A Text with its parameters filled in: the English words, still knowing their id and parameters, so that
    `in_locale` says them in any language (a parameter that is itself Rendered is said in it too)."""

    id: str
    params: dict[str, object]
    count: int | None  # a plural's count: its form is chosen again in each language

    def __new__(
        cls, message_id: str, words: str, params: dict[str, object] | None = None, count: int | None = None
    ) -> Rendered:
        rendered = super().__new__(cls, words)
        rendered.id = message_id
        rendered.params = dict(params or {})
        rendered.count = count
        return rendered

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rendered, (self.id, str(self), self.params, self.count))

    def in_locale(self, locale: str) -> str:
        """The words in `locale` (English, or words whose id the catalogue lacks: as they are)."""
        if locale == DEFAULT_LOCALE or plural_id(self.id) not in _sources_by_id():
            return str(self)
        params = {name: _said_in(value, locale) for name, value in self.params.items()}
        one, other = _sources_by_id()[plural_id(self.id)]
        if self.count is not None and other is not None:
            words = translate_plural(locale, plural_id(self.id), one, other, self.count)
            return words.format(count=self.count, **params)
        words = translate(locale, self.id, one)
        return words.format(**params) if params else words


def _said_in(value: object, locale: str) -> object:
    return value.in_locale(locale) if isinstance(value, Rendered) else value


def in_tab_locale(words: str) -> str:
    """Words a state holds, as the browser of the tab being answered reads them (TAB_LOCALE)."""
    if isinstance(words, Rendered):
        return words.in_locale(TAB_LOCALE.get())
    return words.translated(TAB_LOCALE.get()) if isinstance(words, Text) else str(words)


class Plural:
    """A sentence whose words change with a count: the forms are separate sentences (CLDR `one` and `other` in
    English; other locales add theirs), each with `{count}`."""

    def __init__(self, message_id: str, one: str, other: str) -> None:
        self.id = message_id
        self.one = Text(f"{message_id}#one", one)
        self.other = Text(f"{message_id}#other", other)

    def __call__(self, count: int, locale: str = DEFAULT_LOCALE, **params: object) -> str:
        """The form for `count` under the locale's CLDR plural rule (English: one and other; Arabic: six)."""
        form = self.one if count == 1 else self.other
        if locale == DEFAULT_LOCALE:
            return Rendered(form.id, str.format(form, count=count, **params), params, count)
        words = translate_plural(locale, self.id, str(self.one), str(self.other), count)
        return Rendered(form.id, words.format(count=count, **params), params, count)


def plural_id(message_id: str) -> str:
    """A plural form's id without its form ("challenge.tries#one" -> "challenge.tries")."""
    return message_id.partition("#")[0]


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each source as a pattern, the most literal first, so that a rendered text finds its own id."""

    def pattern(source: str) -> re.Pattern[str]:
        parts = _FIELD.split(source)  # literal, name, literal, name, ...
        body = "".join(re.escape(part) if index % 2 == 0 else "(.+?)" for index, part in enumerate(parts))
        return re.compile(body, re.DOTALL)

    ranked = sorted(_CATALOGUE.items(), key=lambda item: -len(_FIELD.sub("", item[1])))
    return tuple((pattern(source), plural_id(message_id)) for message_id, source in ranked)


def message_id(rendered: str) -> str:
    """The id of the Text that reads `rendered` ("" for no text, "?" for words not in the catalogue).

    State vars hold the rendered words; their `*_id` computed vars name them by id for tests and for the
    page's data-message-id attribute, so both assert which message shows without comparing English."""
    if not rendered:
        return ""
    found = getattr(rendered, "id", None)
    if isinstance(found, str):
        return plural_id(found)
    return next((found for pattern, found in _patterns() if pattern.fullmatch(rendered)), "?")


@cache
def _sources_by_id() -> dict[str, tuple[str, str | None]]:
    """Each id's English source: (the words, None), or a plural's (one, other) under its own id."""
    sources: dict[str, tuple[str, str | None]] = {}
    for message_id, source in _CATALOGUE.items():
        base, _, form = message_id.partition("#")
        if not form:
            sources[base] = (source, None)
        else:
            one, other = sources.get(base, ("", ""))
            sources[base] = (source, other) if form == "one" else (one, source)
    return sources


def catalogue() -> dict[str, str]:
    """Every id and its English source (for the catalogue's tests and a later extraction)."""
    return dict(_CATALOGUE)
