"""The tab's language: which one the pages speak, chosen once per tab and changed by the picker.

First match wins: the signed-in user's choice (users.locale), the tab's own choice (the picker, before sign-in;
saved to users.locale at sign-in when the user has none), the browser's Accept-Language, English. Before each
event `TabLanguage` sets the tab's locale for the event (TAB_LOCALE), and every update the tab is sent says the
words states hold in it (`say_in_tab_language`): states keep the English with its id and parameters, so tests
and `data-message-id` see the same ids in every language. The pages' own labels follow `locale` in the browser
(components/language.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.backend.i18n.locales import DEFAULT_LOCALE, is_right_to_left, language_tag, negotiate, supported
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User
from sms2fa_app.reflex_frames import wrap_deltas
from sms2fa_app.reflex_language import send_again
from sms2fa_app.state.errors import AppErrorState
from sms2fa_app.state.runner import run_backend
from sms2fa_app.state.session import SessionState
from sms2fa_app.state.words.catalogue import TAB_LOCALE, Rendered, Text, in_tab_locale

log = logging.getLogger("sms2fa.state")


class LanguageState(rx.State):
    """The locale the tab's pages speak (a shipped locale, Babel's spelling: "pt_BR")."""

    locale: str = DEFAULT_LOCALE
    _tab_choice: str = ""  # the picker's choice in this tab ("" none)
    _settled: bool = False  # negotiated from Accept-Language once per tab

    @rx.var
    def document_language(self) -> str:
        """`<html lang>` and `dir`, space-separated ("ar rtl"), for the browser call that sets them."""
        return f"{language_tag(self.locale)} {'rtl' if is_right_to_left(self.locale) else 'ltr'}"

    def _settle(self) -> None:
        """Before each event: the language negotiated once per tab (the picker's choice, Accept-Language)."""
        if not self._settled:
            self._settled = True
            self.locale = negotiate(stored=self._tab_choice, accept_language=self.router.headers.accept_language)

    async def _follow_user(self, user: User) -> None:
        """A signed-in page's guard read the user (SessionState._guard_page_with, no read of its own): their
        stored choice becomes the tab's language; a choice made on the login page is saved as theirs when they
        have none (at sign-in: the first signed-in page)."""
        stored = supported(user.locale) if user.locale else None
        if stored and stored != self.locale:
            self.locale = stored
            TAB_LOCALE.set(stored)
        elif not stored and self._tab_choice and user.id is not None:
            try:
                await run_backend(SessionState._services().languages.choose, user.id, self._tab_choice)
            except Exception:
                log_event(log, logging.WARNING, "language_save_failed")
                return
            self._tab_choice = ""  # saved: the user's choice from now on

    async def choose(self, value: str) -> None:
        """The picker: a shipped locale becomes the tab's language (and the signed-in user's choice), and the
        messages already on screen are sent again, said in it; anything else changes nothing."""
        wanted = supported(value)
        if wanted is None:
            return
        self._tab_choice = self.locale = wanted
        TAB_LOCALE.set(wanted)
        session = await self.get_state(SessionState)  # with every page's state (its substates)
        await self.get_state(AppErrorState)
        send_again(self, _holds_words)  # the messages on screen, said again in the new language
        signed_in = await session._signed_in()
        if signed_in is not None and signed_in[1].id is not None:
            await run_backend(SessionState._services().languages.choose, signed_in[1].id, wanted)


class TabLanguage(rx.Middleware):
    """Runs before every event (after BrowserTokens): the tab's language settled, and set for the update."""

    async def preprocess(self, app: Any, state: Any, event: rx.event.Event) -> internals.StateUpdate | None:
        """Settle the tab's locale and make it the one the words of this event's update are said in."""
        language = await state.get_state(LanguageState)
        language._settle()
        TAB_LOCALE.set(language.locale)
        return None


def _holds_words(value: Any) -> bool:
    """Words a state holds (a message, a row of words): what a switch of language sends again."""
    if isinstance(value, Rendered | Text):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_words(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_words(item) for item in value.values())
    return False


def _said(value: Any) -> Any:
    if isinstance(value, Rendered | Text):
        return in_tab_locale(value)
    if isinstance(value, list | tuple):
        return [_said(item) for item in value]
    if isinstance(value, dict):
        return {key: _said(item) for key, item in value.items()}
    return value


def say_in_tab_language(delta: Mapping[str, Any]) -> dict[str, Any]:
    """An update for the browser with every state's words in the tab's language (TAB_LOCALE): rows and lists
    of words included; anything else as it is."""
    if TAB_LOCALE.get() == DEFAULT_LOCALE:
        return dict(delta)
    return {state: _said(changes) for state, changes in delta.items()}


def speak_tab_languages(app: Any) -> None:
    """Every update the app sends is said in its tab's language (registered by sms2fa_app.py)."""
    wrap_deltas(app, say_in_tab_language)
