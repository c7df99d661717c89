"""Issue 26, the pages' side: the words a state holds reach the browser in the tab's language, the pages' own
labels are compiled in every language, and the picker takes only a shipped locale."""

from __future__ import annotations

import json
import pickle

import pytest

from sms2fa_app.backend.assurance import BY_PASSWORD
from sms2fa_app.backend.i18n.locales import SUPPORTED_LOCALES, language_tag
from sms2fa_app.backend.services import Services
from sms2fa_app.components.language import page_titles, t, t_count
from sms2fa_app.reflex_adapter import delta_key
from sms2fa_app.state import words
from sms2fa_app.state.dashboard import DashboardState
from sms2fa_app.state.language import LanguageState, say_in_tab_language
from sms2fa_app.state.login import LoginState
from sms2fa_app.state.settings import SettingsState
from sms2fa_app.state.words.catalogue import TAB_LOCALE, in_tab_locale, message_id
from tests.support.counting import counted
from tests.support.factories import create_user
from tests.support.reflex_internals import as_sent, mark_delivered, pending_delta
from tests.support.states import client_dict, deliver, make_state, run


@pytest.fixture
def tab_speaks():
    """Set the tab's language for one test (as TabLanguage does before each event)."""
    tokens = []

    def speak(locale: str) -> None:
        tokens.append(TAB_LOCALE.set(locale))

    yield speak
    for token in reversed(tokens):
        TAB_LOCALE.reset(token)


def test_words_with_parameters_are_said_again_in_the_tabs_language(tab_speaks) -> None:
    """A filled-in sentence keeps its id and parameters, so it is said whole in another language (a parameter
    that is itself words, such as a plural, is said in it too), also after the state store's round trip."""
    repeated = words.activity._REPEATED(3)
    sentence = words.challenge.SEND_WAIT.format(clock="0:57")
    for stored in (repeated, sentence, pickle.loads(pickle.dumps(sentence))):
        tab_speaks("es")
        spanish = in_tab_locale(stored)
        assert spanish != str(stored) and message_id(stored) in {"activity.repeated", "challenge.send_wait"}
    tab_speaks("es")
    assert in_tab_locale(sentence) == words.challenge.SEND_WAIT.translated("es", clock="0:57")
    tab_speaks("ar")
    assert in_tab_locale(repeated) == words.activity._REPEATED(3, "ar")
    tab_speaks("en")
    assert in_tab_locale(sentence) == "You can ask for a code in 0:57."


def test_what_a_state_sends_the_browser_is_in_the_tabs_language(tab_speaks) -> None:
    """What a tab is sent has a state's words in the tab's language; the id stays the English's."""
    login = make_state(LoginState)
    login.error = words.login.INVALID_CREDENTIALS
    tab_speaks("de")
    update = say_in_tab_language(client_dict(login))
    sent = as_sent(update)[LoginState.get_full_name()]
    assert sent[delta_key("error")] == words.login.INVALID_CREDENTIALS.translated("de")
    assert sent[delta_key("error_id")] == words.login.INVALID_CREDENTIALS.id


async def test_a_switch_says_the_words_already_on_screen_in_the_new_language() -> None:
    """A message the tab already shows is sent again, said in the language just picked (not kept in the old one
    until the state says it again); its id stays the same."""
    login = make_state(LoginState)
    login.error = words.login.INVALID_CREDENTIALS
    language = await login.get_state(LanguageState)
    mark_delivered(language.parent_state)  # the error is on screen, in English
    english = TAB_LOCALE.set("en")
    try:
        await language.choose("es")
        sent = as_sent(say_in_tab_language(pending_delta(login)))
    finally:
        TAB_LOCALE.reset(english)
    assert sent[LoginState.get_full_name()][delta_key("error")] == words.login.INVALID_CREDENTIALS.translated("es")
    assert sent[LanguageState.get_full_name()][delta_key("locale")] == "es"


def test_a_pages_label_is_compiled_in_every_language() -> None:
    compiled = str(t(words.pages.CREATE_YOUR_ACCOUNT))
    rule = str(t(words.login.PASSWORD_RULE))  # already filled in: said again in each language
    for locale in SUPPORTED_LOCALES:
        assert json.dumps(str(words.pages.CREATE_YOUR_ACCOUNT.translated(locale))) in compiled
        assert json.dumps(words.login.PASSWORD_RULE.in_locale(locale)) in rule


@pytest.mark.parametrize(("picked", "locale"), [("es-MX", "es"), ("pt-br", "pt_BR"), ("ar", "ar")])
async def test_the_picker_takes_a_shipped_language(picked: str, locale: str) -> None:
    language = make_state(LanguageState)
    await language.choose(picked)
    assert language.locale == locale
    assert language.document_language == ("ar rtl" if locale == "ar" else f"{locale.replace('_', '-')} ltr")


@pytest.mark.parametrize("picked", ["xx", "", "en;<script>", "e" * 100])
async def test_anything_else_changes_nothing(picked: str) -> None:
    language = make_state(LanguageState)
    await language.choose("de")
    await language.choose(picked)
    assert language.locale == "de"


async def signed_in_dashboard(services: Services, email: str) -> tuple[LanguageState, DashboardState, int]:
    """A tab on the dashboard whose browser delivered the session cookie of a user signed in with a password."""
    user = create_user(services, email)
    assert user.id is not None
    dashboard = make_state(DashboardState)
    await deliver(dashboard, session_token=services.sessions.create(user.id, BY_PASSWORD, how="sms").token)
    return await dashboard.get_state(LanguageState), dashboard, user.id


async def test_the_users_choice_wins_from_the_user_the_guard_read(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signed-in page's guard reads the user in its one statement; the tab follows their choice from it."""
    language, dashboard, user_id = await signed_in_dashboard(services, "ada@example.com")
    services.languages.choose(user_id, "hi")
    with counted(services, monkeypatch) as work:
        await run(dashboard.load())
    assert language.locale == "hi" and len(work.statements) == 1, work.statements


async def test_the_login_pages_choice_is_saved_at_sign_in(services: Services) -> None:
    language, dashboard, user_id = await signed_in_dashboard(services, "grace@example.com")
    language._tab_choice = language.locale = "pt_BR"  # picked on the login page, before this session began
    await run(dashboard.load())
    assert services.languages.choice(user_id) == "pt_BR" and language.locale == "pt_BR"


async def test_a_failed_save_keeps_the_language_and_the_page(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    language, dashboard, _ = await signed_in_dashboard(services, "linus@example.com")
    language._tab_choice = language.locale = "de"

    def down(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr(services.languages, "choose", down)
    assert await run(dashboard.load()) == []  # the page still loads
    assert language.locale == "de"


def test_a_count_on_a_page_takes_the_locales_plural_form_in_the_browser() -> None:
    """Every CLDR form of every locale is compiled (Arabic's six), picked by Intl.PluralRules: never "1 codes"."""
    compiled = str(t_count(words.settings.RECOVERY_LEFT, SettingsState.recovery_left))
    assert "Intl.PluralRules" in compiled
    for count in (0, 1, 2, 3, 11, 100):
        assert words.settings.RECOVERY_LEFT(count, "ar").replace(str(count), "{count}") in compiled
    assert "1 recovery code left" in compiled and "{count} recovery codes left" in compiled


def test_every_pages_title_is_compiled_in_every_language() -> None:
    """Issue 26: `<title>` follows the tab's language (the server renders the English; the browser swaps it)."""
    titles = page_titles()
    assert len(titles) == len(words.pages.TITLED_PAGES)
    log_in = next(title for title in titles if title["en"] == "Log in · sms2fa")
    assert set(log_in) == {language_tag(locale) for locale in SUPPORTED_LOCALES}
    assert len(set(log_in.values())) == len(SUPPORTED_LOCALES)  # each language its own words
    assert log_in["es"] == words.pages.TITLE.translated("es", page=words.pages.LOG_IN.translated("es"))
