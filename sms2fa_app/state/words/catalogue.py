"""Typed words: every user-facing sentence is a `Text` with a stable id and its English source, declared once.

Why: tests and the browser assert ids, not English, and gettext (issue 26; backend/i18n) renders them per locale
by id: `make i18n-extract` (`pybabel extract -k Text:1c,2 -k Plural:1c,2,3`) writes each as msgctxt = id,
msgid = the English source. Parameters are named
(`{wait}`, `{ending}`), plurals are separate forms (`Plural`), and a sentence is never glued from pieces.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sms2fa_app.backend.i18n.catalogs import translate, translate_plural
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE

_CATALOGUE: dict[str, str] = {}  # id -> English source (a plural's forms are listed under "<id>#one"/"<id>#other")
_FIELD = re.compile(r"\{(\w+)\}")


def _register(message_id: str, source: str) -> None:
    if _CATALOGUE.setdefault(message_id, source) != source:
        raise ValueError(f"message id {message_id!r} is declared twice with different words")
    _patterns.cache_clear()


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
        """The words with their parameters filled in, still knowing their id."""
        return Rendered(self.id, super().format(*args, **params))

    def translated(self, locale: str, **params: object) -> str:
        """The words in `locale` (its catalog's entry for this id; English when it has none), parameters filled
        in, still knowing their id."""
        words = translate(locale, self.id, str(self))
        return Rendered(self.id, words.format(**params) if params else words)


class Rendered(str):
    """A Text with its parameters filled in: plain words that still know their id (in this process; a copy read
    back from the state store is a plain str, whose id `message_id` finds by matching the catalogue)."""

    id: str

    def __new__(cls, message_id: str, words: str) -> Rendered:
        rendered = super().__new__(cls, words)
        rendered.id = message_id
        return rendered

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rendered, (self.id, str(self)))


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
            return form.format(count=count, **params)
        words = translate_plural(locale, self.id, str(self.one), str(self.other), count)
        return Rendered(form.id, words.format(count=count, **params))


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


def catalogue() -> dict[str, str]:
    """Every id and its English source (for the catalogue's tests and a later extraction)."""
    return dict(_CATALOGUE)
