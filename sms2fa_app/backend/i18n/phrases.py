"""The backend's own words (mails, texts, the voice call, errors): a `Phrase` has a stable id and its English
source, like the pages' `Text` (state/words), and is rendered in the recipient's locale. Extraction:
`pybabel extract -k Phrase:1c,2 -k PluralPhrase:1c,2,3` (babel.cfg and `make i18n-extract`)."""

from __future__ import annotations

from dataclasses import dataclass

from sms2fa_app.backend.i18n.catalogs import translate, translate_plural


@dataclass(frozen=True)
class Phrase:
    """One sentence; `{named}` parameters are filled in after translation, so a translation may move them."""

    id: str
    source: str

    def __call__(self, locale: str, **params: object) -> str:
        return translate(locale, self.id, self.source).format(**params)


@dataclass(frozen=True)
class PluralPhrase:
    """A sentence whose words change with `{count}`: English's two forms; each catalog has its locale's forms."""

    id: str
    one: str
    other: str

    def __call__(self, locale: str, count: int, **params: object) -> str:
        return translate_plural(locale, self.id, self.one, self.other, count).format(count=count, **params)
