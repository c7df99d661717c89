"""The catalog check (CI): the template holds every word the code declares, each shipped locale translates all of
it (no untranslated or fuzzy entry, every plural form, the same placeholders as the English), and no f-string in
state/ or backend/delivery builds a sentence a user reads (a sentence goes through a Text or Phrase)."""

from __future__ import annotations

import ast
import itertools
import re
import shlex
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from sms2fa_app.backend.i18n.catalogs import LOCALES_DIR, compile_catalog, po_path, translate
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES
from sms2fa_app.state import words

ROOT = Path(__file__).resolve().parents[4]
PACKAGE = ROOT / "sms2fa_app"
SHIPPED = [locale for locale in SUPPORTED_LOCALES if locale != DEFAULT_LOCALE]
FIELD = re.compile(r"\{(\w*)\}")


def extraction_keywords() -> dict[str, tuple[object, ...]]:
    """The `-k` keywords of `make i18n-extract`, read from the Makefile (one place says them)."""
    recipe = (ROOT / "Makefile").read_text().split("i18n-extract:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    keywords: dict[str, tuple[object, ...]] = {}
    arguments = shlex.split(recipe)
    for flag, spec in itertools.pairwise(arguments):
        if flag == "-k":
            name, _, positions = spec.partition(":")
            keywords[name] = tuple((int(p[:-1]), "c") if p.endswith("c") else int(p) for p in positions.split(","))
    return keywords


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def entries(catalog: Catalog) -> dict[str, Message]:
    return {message.context: message for message in catalog if message.id}


def fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


def test_the_makefile_extracts_texts_and_phrases_by_id() -> None:
    assert extraction_keywords() == {
        "Text": ((1, "c"), 2),
        "Plural": ((1, "c"), 2, 3),
        "Phrase": ((1, "c"), 2),
        "PluralPhrase": ((1, "c"), 2, 3),
    }


def test_the_template_is_up_to_date_with_the_code() -> None:
    found = {
        (context, msgid if isinstance(msgid, str) else tuple(msgid))
        for _file, _line, msgid, _comments, context in extract_from_dir(
            str(PACKAGE), keywords=extraction_keywords(), comment_tags=(), strip_comment_tags=True
        )
    }
    template = {(message.context, message.id) for message in read(LOCALES_DIR / "messages.pot") if message.id}
    assert found == template, "run `make i18n-extract`: " + repr(sorted(found ^ template, key=str)[:5])


def test_every_text_of_the_words_catalogue_is_in_the_template() -> None:
    template = entries(read(LOCALES_DIR / "messages.pot"))
    for message_id, source in words.catalogue().items():
        base, _, form = message_id.partition("#")
        entry = template.get(base)
        assert entry is not None, f"{message_id} is not extracted"
        expected = entry.id if not form else entry.id[0 if form == "one" else 1]
        assert expected == source, message_id


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_entry_is_translated_with_its_placeholders(locale: str) -> None:
    template = entries(read(LOCALES_DIR / "messages.pot"))
    catalog = read(po_path(locale), locale)
    translated = entries(catalog)
    assert set(translated) == set(template), "run `make i18n-extract` and translate the new entries"
    assert not catalog.obsolete
    assert catalog.num_plurals == get_plural(locale).num_plurals  # Babel's CLDR-based gettext rule (ar: six forms)
    for context, message in translated.items():
        assert "fuzzy" not in message.flags, f"{locale} {context} is fuzzy"
        assert message.id == template[context].id, f"{locale} {context} translates an old English source"
        if isinstance(message.id, tuple):
            forms = list(message.string)
            assert len(forms) == catalog.num_plurals and all(forms), f"{locale} {context}: a plural form is empty"
            source_fields = fields(message.id[1])
            assert all(fields(form) <= source_fields for form in forms), f"{locale} {context}: unknown placeholder"
            assert set().union(*map(fields, forms)) == source_fields, f"{locale} {context}: a placeholder is lost"
        else:
            assert message.string, f"{locale} {context} is untranslated"
            assert fields(message.string) == fields(message.id), f"{locale} {context}: placeholders differ"
            forms = [message.string]
        for form in forms:  # a stray brace would break str.format at send time
            form.format(**dict.fromkeys(fields(form), "x"))


@pytest.mark.parametrize("locale", SHIPPED)
def test_each_catalog_compiles_and_is_looked_up_by_id(locale: str) -> None:
    assert compile_catalog(locale)
    assert translate(locale, "login.invalid_credentials", "Incorrect email or password.") != (
        "Incorrect email or password."
    )
    assert translate(locale, "no.such.id", "Words without an entry") == "Words without an entry"


def test_arabic_says_each_of_its_six_plural_forms() -> None:
    plural = next(value for value in vars(words.challenge).values() if isinstance(value, words.Plural))
    assert get_plural("ar").num_plurals == 6
    said = {plural(count, "ar") for count in (0, 1, 2, 3, 11, 100)}  # zero, one, two, few, many, other
    assert len(said) == 6
    assert plural(5, "es") != plural(5) and plural(1) == plural.one.format(count=1)


# ---- no sentence from an f-string ---------------------------------------------------------------------------

SENTENCE = re.compile(r"[^\W\d_]{2,}[ ,:;.!?'’]+[^\W\d_]{2,}")  # two words in a row
MARKUP = re.compile(r"<[^>]*>")
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log_event"}
CHECKED = ["state", "backend/delivery"]


def _exempt(tree: ast.AST) -> set[int]:
    """Nodes inside a raised exception or a log call: for developers and operators, in English on purpose."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exempt.update(id(inner) for inner in ast.walk(node.exc))
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in LOG_CALLS:
                exempt.update(id(inner) for inner in ast.walk(node))
    return exempt


def sentences_in_f_strings(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    exempt = _exempt(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and id(node) not in exempt:
            literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if SENTENCE.search(MARKUP.sub(" ", literal)):
                found.append((node.lineno, literal))
    return found


def test_the_check_finds_a_glued_sentence_and_spares_logs_errors_and_keys() -> None:
    assert sentences_in_f_strings('def f(app):\n    return f"Your {app} code is ready"\n')
    assert not sentences_in_f_strings('def f(x):\n    raise ValueError(f"no mail for {x}")\n')
    assert not sentences_in_f_strings('def f(x):\n    log.info(f"sent to {x} now")\n')
    assert not sentences_in_f_strings('def f(x):\n    return f"{x}:login:{x}", f"<p>{x}</p>"\n')


@pytest.mark.parametrize("area", CHECKED)
def test_no_f_string_builds_a_sentence_users_read(area: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {literal!r}"
        for path in sorted((PACKAGE / area).rglob("*.py"))
        for line, literal in sentences_in_f_strings(path.read_text())
    ]
    assert not offenders, "say it with a Text or a Phrase:\n" + "\n".join(offenders)


# ---- no page shows a word outside the catalogs ----------------------------------------------------------------

READ_BY_PEOPLE = re.compile(r"[A-Z][a-z]+|[^\W\d_]{2,}[ ,:;.!?'’…]+[^\W\d_]{2,}")  # a capitalised word, or two words
SHOWN_KEYWORDS = {"aria_label", "placeholder", "title", "alt", "label", "name"}


def words_written_into_pages(source: str) -> list[tuple[int, str]]:
    """String literals a page draws: a call's positional argument (a child, a heading, a helper's title), a
    visible keyword (aria_label, a chart's series name), or an item of a list or tuple (a table's headers)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        candidates: list[ast.expr] = []
        if isinstance(node, ast.Call):
            candidates += [*node.args, *(kw.value for kw in node.keywords if kw.arg in SHOWN_KEYWORDS)]
        elif isinstance(node, ast.Tuple | ast.List):
            candidates += node.elts
        for value in candidates:
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and READ_BY_PEOPLE.search(value.value):
                found.append((value.lineno, value.value))
    return found


def test_the_page_check_finds_literal_words_and_spares_styles() -> None:
    assert words_written_into_pages('rx.button("Search", variant="soft")')
    assert words_written_into_pages('_chart_card("Texts per hour", "chart-texts")')
    assert words_written_into_pages('headers = ("Language", "Segments")')
    assert not words_written_into_pages('rx.text(S.notice, color_scheme="red", id="admin-notice", name="query")')


def test_no_page_shows_words_outside_the_catalogs() -> None:
    """Every word a page draws is a Text drawn with `t` (issue 26): the admin console and /dev/outbox included."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {literal!r}"
        for path in sorted((PACKAGE / "pages").rglob("*.py"))
        for line, literal in words_written_into_pages(path.read_text())
    ]
    assert not offenders, "say it with a Text and t(...):\n" + "\n".join(offenders)
