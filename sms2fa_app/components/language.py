"""The pages in the tab's language: their own labels, the language picker, and `<html lang dir>`.

A page's label is a `Text` (state/words/pages.py); `t(label)` compiles it into the page as its six translations
picked by the tab's locale in the browser (`rx.match`), so switching language sends one short var, not the
words, and a page reads as before: `rx.button(t(words.pages.LOG_IN))`. Words a state holds are said in the
tab's language by the server instead (state/language.py)."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from babel import Locale

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.i18n.catalogs import translate_plural
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES, display_name, language_tag
from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.state import words
from sms2fa_app.state.language import LanguageState
from sms2fa_app.state.words.catalogue import Plural, Rendered, Text

_MARKER = "document-language"
# Applies the marker's data-language ("ar rtl") to <html> now and whenever it changes: React keeps the marker and
# updates its attribute, so the call watches it rather than waiting for a new mount. The page's <title> and meta
# description (English as the server renders them) are said in that language too, and again whenever the router
# puts a page's English title back (one watch of <head> per tab).
_FOLLOW_DOCUMENT_LANGUAGE = (
    "const marker = document.getElementById(%(marker)s); if (!marker) { return; } "
    "const titles = %(titles)s; const descriptions = %(descriptions)s; "
    "const retitle = () => { const tag = document.documentElement.lang; "
    "const said = titles.find((title) => Object.values(title).includes(document.title)); "
    "if (said && said[tag] && said[tag] !== document.title) { document.title = said[tag]; } "
    "const meta = document.querySelector('meta[name=\"description\"]'); "
    "if (meta && descriptions[tag] && meta.content !== descriptions[tag]) { meta.content = descriptions[tag]; } }; "
    "const apply = () => { const [lang, dir] = (marker.dataset.language || '').split(' '); "
    "if (lang && dir) { document.documentElement.lang = lang; document.documentElement.dir = dir; } retitle(); }; "
    "apply(); new MutationObserver(apply).observe(marker, { attributes: true, attributeFilter: ['data-language'] }); "
    "if (!window.sms2faRetitles) { window.sms2faRetitles = true; "
    "new MutationObserver(retitle).observe(document.head, { childList: true, subtree: true, characterData: true }); }"
)


_COUNTED = (
    "const n = Number(%(count)s); const forms = %(forms)s; "
    "const form = forms[new Intl.PluralRules(%(tag)s).select(n)] || forms.other; "
    "return form.split('{count}').join(String(n));"
)


class _KeepPlaceholders(dict):
    """A value given only in the browser keeps its `{name}` in the compiled words."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def t(label: Text | Rendered, **params: object) -> rx.Var[str]:
    """The label in the tab's language. A parameter known now is filled in each language (or already was: a
    `Text.format(...)`); one that is a state var is put in its `{name}` place in the browser (the sentence is
    translated whole, never glued)."""
    if isinstance(label, Rendered):
        translations = {locale: label.in_locale(locale) for locale in SUPPORTED_LOCALES}
    else:
        known = _KeepPlaceholders({name: value for name, value in params.items() if not isinstance(value, rx.Var)})
        translations = {locale: str(label.translated(locale)).format_map(known) for locale in SUPPORTED_LOCALES}
    cases = [(locale, words) for locale, words in translations.items() if locale != DEFAULT_LOCALE]
    said = rx.match(LanguageState.locale, *cases, translations[DEFAULT_LOCALE]).to(str)
    for name, value in params.items():
        if isinstance(value, rx.Var):
            said = said.replace("{" + name + "}", value.to(str))
    return said


def _forms_by_category(plural: Plural, locale: str) -> dict[str, str]:
    """Each CLDR plural category of the locale and its form, `{count}` kept (Arabic: six)."""
    rule = Locale.parse(locale).plural_form
    forms = {}
    for category in (*sorted(rule.tags), "other"):
        # Spanish's and Portuguese's "many" is for a million and up (1 000 000 de ...)
        count = next((number for number in (*range(1000), 10**6) if rule(number) == category), None)
        if count is not None:
            forms[category] = translate_plural(locale, plural.id, str(plural.one), str(plural.other), count)
    return forms


def t_count(plural: Plural, count: rx.Var[int]) -> rx.Var[str]:
    """A count in the tab's language, its form chosen in the browser by the locale's CLDR rule
    (Intl.PluralRules: the same categories as Babel's), never a number glued to a word."""
    cases = []
    for locale in SUPPORTED_LOCALES:
        body = _COUNTED % {
            "count": internals.js_expression(count),
            "forms": json.dumps(_forms_by_category(plural, locale), ensure_ascii=False),
            "tag": json.dumps(language_tag(locale)),
        }
        cases.append((locale, internals.bundled_value(body, uses=count)))
    english = cases.pop(0)[1]
    return rx.match(LanguageState.locale, *cases, english).to(str)


def t_around(label: Text, name: str, value: rx.Component) -> rx.Component:
    """The label with a component (a value in bold, a link) in the place of its one `{name}`, in the order
    of the tab's language."""
    parts = t(label).split("{" + name + "}")
    return rx.fragment(parts[0], value, parts[1])


def page_titles() -> list[dict[str, str]]:
    """Each titled page's <title> by language tag ({"en": "Log in · sms2fa", "es": ...}), for the browser."""
    return [
        {
            language_tag(locale): str(words.pages.TITLE.translated(locale, page=page.translated(locale)))
            for locale in SUPPORTED_LOCALES
        }
        for page in words.pages.TITLED_PAGES
    ]


def document_language() -> rx.Component:
    """Invisible: sets `<html lang>` and `dir` from the tab's locale, again whenever it changes, so the layout
    mirrors in a right-to-left language; the page's title and description follow it."""
    descriptions = {language_tag(locale): words.pages.DESCRIPTION.translated(locale) for locale in SUPPORTED_LOCALES}
    follow = run_in_browser(
        _FOLLOW_DOCUMENT_LANGUAGE
        % {
            "marker": json.dumps(_MARKER),
            "titles": json.dumps(page_titles(), ensure_ascii=False),
            "descriptions": json.dumps(descriptions, ensure_ascii=False),
        }
    )
    return rx.box(
        id=_MARKER, on_mount=follow, display="none", custom_attrs={"data-language": LanguageState.document_language}
    )


def language_picker() -> rx.Component:
    """A native select of the shipped languages, each named in itself ("Español", "العربية")."""
    return rx.el.select(
        *[
            rx.el.option(display_name(locale), value=locale, lang=locale.replace("_", "-"))
            for locale in SUPPORTED_LOCALES
        ],
        value=LanguageState.locale,
        on_change=LanguageState.choose,
        aria_label=t(words.pages.LANGUAGE),
        id="language-picker",
        style={"font-size": "14px", "padding": "4px 6px", "border-radius": "6px", "max-width": "9em"},
    )


def shown(value: Any) -> Any:
    """What a shared component draws: a catalogue entry in the tab's language (`t`), anything else as it is;
    so `labeled_input(words.pages.EMAIL, ...)` and `card(words.pages.LOG_IN, ...)` speak every language."""
    return t(value) if isinstance(value, Text | Rendered) else value
