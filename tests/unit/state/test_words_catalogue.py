"""The catalogue of words (state/words/): one id per sentence, found again from the rendered words, and every
sentence declared whole in a Text or Plural, ready for a later gettext extraction (issue 26)."""

from __future__ import annotations

import ast
import pickle
import re
import string
from pathlib import Path

import pytest

from sms2fa_app.state import words
from sms2fa_app.state.words.catalogue import plural_id

WORDS_DIR = Path(words.__file__).parent
ID_SHAPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+(#one|#other)?$")
# Words built outside Text/Plural on purpose: a separator, the mask, a file name, tokens the browser answers.
NOT_SENTENCES = {" · ", "…", "…@", "sms2fa-recovery-codes.txt", "written", "failed", "\n", ""}


def test_every_id_is_shaped_screen_dot_name_and_names_one_sentence() -> None:
    catalogue = words.catalogue()
    assert len(catalogue) > 250
    assert all(ID_SHAPE.match(message_id) for message_id in catalogue), [m for m in catalogue if not ID_SHAPE.match(m)]
    sources = list(catalogue.values())
    assert len(sources) == len(set(sources)), "two ids for the same words: use one"


def test_parameters_are_named() -> None:
    for message_id, source in words.catalogue().items():
        fields = [name for _, name, _, _ in string.Formatter().parse(source) if name is not None]
        assert all(name.isidentifier() for name in fields), (message_id, source)


@pytest.mark.parametrize("message_id", sorted(words.catalogue()))
def test_rendered_words_find_their_id_again(message_id: str) -> None:
    """What a state var holds (plain words, as read back from the state store) names its entry unambiguously."""
    source = words.catalogue()[message_id]
    fields = {name for _, name, _, _ in string.Formatter().parse(source) if name}
    rendered = str(source.format(**dict.fromkeys(fields, "7")))
    assert words.message_id(rendered) == plural_id(message_id)


def test_unknown_and_empty_words() -> None:
    assert words.message_id("") == "" and words.message_id("Not one of ours.") == "?"
    assert words.message_id(words.login.INVALID_CREDENTIALS) == "login.invalid_credentials"


def _sentences_outside_the_catalogue(path: Path) -> list[str]:
    """String literals that read as words but are not the source of a Text or Plural (docstrings aside)."""
    tree = ast.parse(path.read_text())
    declared: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Text", "Plural"):
            declared.update(id(arg) for arg in node.args)
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Module) and ast.get_docstring(node) is not None:
            declared.add(id(node.body[0].value))  # type: ignore[attr-defined]
    found = []
    for node in ast.walk(tree):
        is_literal = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in declared
        if is_literal and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", node.value) and node.value not in NOT_SENTENCES:
            found.append(node.value)
        if isinstance(node, ast.JoinedStr):
            literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if re.search(r"[A-Za-z]{2,}", literal):
                found.append(ast.unparse(node))
    return found


SCREENS = sorted(path.name for path in WORDS_DIR.glob("*.py") if path.name not in ("__init__.py", "catalogue.py"))


@pytest.mark.parametrize("module", SCREENS)
def test_no_sentence_is_built_outside_a_text(module: str) -> None:
    assert _sentences_outside_the_catalogue(WORDS_DIR / module) == []


def test_words_read_back_from_the_state_store_keep_their_id_and_declare_nothing() -> None:
    before = words.catalogue()
    for said in (words.login.INVALID_CREDENTIALS, words.settings.PASSKEY_NAME_INVALID, words.common.minutes(120)):
        copy = pickle.loads(pickle.dumps(said))
        assert copy == said and words.message_id(copy) == words.message_id(said) != "?"
    assert words.catalogue() == before
