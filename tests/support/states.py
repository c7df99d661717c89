"""Helpers to construct Reflex states and drive their handlers in tests, without a browser."""

from __future__ import annotations

import inspect
import json
from typing import Any, TypeVar

import pytest
import reflex as rx

import sms2fa_app.state.language  # noqa: F401  (every page reads the tab's language: its state is in every tree)
from tests.support import reflex_internals

S = TypeVar("S", bound=rx.State)


def call_background_handlers_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let tests call background handlers (guarded slow handlers) on a state like any handler.

    Reflex refuses a direct call (outside its event processor, a background handler has no lock to take);
    on a plain state `async with self` does nothing, so the handler runs as the processor would run it,
    with every lock taken at once."""
    reflex_internals.allow_direct_background_calls(monkeypatch)


def make_state(state_class: type[S]) -> S:
    """A fresh state tree; returns the instance of `state_class` inside it."""
    root = reflex_internals.new_root_state()
    path = state_class.get_full_name().split(".")[1:]
    return root.get_substate(path)  # type: ignore[return-value]


async def run(handler_result: Any) -> list[Any]:
    """Drain what a handler returned or yielded (coroutine, async or sync generator) into a list of events."""
    events: list[Any] = []
    if inspect.isasyncgen(handler_result):
        async for item in handler_result:
            if item is not None:
                events.append(item)
    elif inspect.iscoroutine(handler_result):
        item = await handler_result
        if item is not None:
            events.append(item)
    elif inspect.isgenerator(handler_result):
        events.extend(item for item in handler_result if item is not None)
    elif handler_result is not None:
        events.append(handler_result)
    flat: list[Any] = []
    for event in events:
        flat.extend(event if isinstance(event, list | tuple) else [event])
    return flat


def redirect_path(events: list[Any]) -> str | None:
    """The path of the last redirect among the events, or None."""
    path = None
    for event in events:
        if isinstance(event, rx.event.EventSpec) and reflex_internals.handler_qualname(event).startswith("_redirect"):
            path = reflex_internals.event_arguments(event)["path"]
    return path


def resend_wait(state: Any, clock: Any) -> int:
    """Seconds from the clock's now to the resend deadline the state sends the browser (0 for none)."""
    return round(state.resend_at / 1000 - clock.now()) if state.resend_at else 0


def client_dict(state: rx.State) -> dict[str, Any]:
    """Everything the state tree would send to the browser (backend vars excluded)."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    return root.dict()


class StatePage:
    """Several states of one tree as one object, the way a page sees them: reading or writing an attribute
    goes to the first state whose class has it (list the most specific substates first)."""

    def __init__(self, *states: rx.State):
        object.__setattr__(self, "_states", states)

    def _owner(self, name: str) -> rx.State:
        for state in self._states:
            if hasattr(type(state), name):
                return state
        raise AttributeError(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner(name), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._owner(name), name, value)


def settings_page() -> StatePage:
    """A fresh state tree with the settings page's states (status, wizard and each factor's substate)."""
    from sms2fa_app.state.settings import (
        CodeChannelState,
        DeleteAccountState,
        PasskeySetupState,
        PasswordChangeState,
        RecoveryCodesState,
        SettingsState,
        SmsSetupState,
        TotpSetupState,
        WizardState,
    )

    sms = make_state(SmsSetupState)
    root = sms
    while root.parent_state is not None:
        root = root.parent_state
    others = [
        root.get_substate(cls.get_full_name().split(".")[1:])
        for cls in (
            TotpSetupState,
            PasskeySetupState,
            RecoveryCodesState,
            PasswordChangeState,
            DeleteAccountState,
            CodeChannelState,
            WizardState,
            SettingsState,
        )
    ]
    return StatePage(sms, *others)


# The state vars a handler puts a passkey ceremony in, and the handler its page has answer it (pages/).
_CEREMONY_VARS = {
    ("ChallengeState", "passkey_request"): "finish_passkey",
    ("LoginState", "passkey_request"): "finish_passkey_sign_in",
    ("WizardState", "passkey_request"): "finish_reauth_passkey",
    ("PasskeySetupState", "passkey_creation"): "finish_passkey",
}


def _asked_ceremony(state: Any) -> tuple[str, str]:
    """(the handler that gets the answer, the request JSON) of the ceremony the state asks the page to run."""
    states = state._states if isinstance(state, StatePage) else (state,)
    for one in states:
        for cls in type(one).__mro__:
            for (owner, var), handler in _CEREMONY_VARS.items():
                if cls.__name__ == owner and getattr(one, var, ""):
                    return handler, getattr(one, var)
    raise AssertionError("no passkey ceremony asked for")


def browser_ceremony(state: Any) -> tuple[str, str]:
    """The passkey ceremony a handler asked the page to run: ("create" or "get", the options JSON it carries);
    fails when there is none."""
    request = json.loads(_asked_ceremony(state)[1])
    return request["call"], request["options"]


def callback_handler(state: Any) -> str:
    """The name of the handler the browser's answer goes to."""
    return _asked_ceremony(state)[0]


def open_at(state: rx.State, url: str) -> None:
    """Make the page's URL (its query parameters are what on_load handlers read) `url`; an emailed link's token is
    taken out of it as the BrowserTokens middleware does before every event."""
    from sms2fa_app.state.session import SessionState

    root = state
    while root.parent_state is not None:
        root = root.parent_state
    reflex_internals.set_page_url(root, url)
    root.get_substate(SessionState.get_full_name().split(".")[1:])._take_link_token()


# deliver()'s keywords, named as the browser's cookies hold them, and the credential each one is.
_DELIVERED = {"session_token": "session", "device_token": "device"}


async def deliver(state: Any, **tokens: object) -> None:
    """The browser's websocket delivers its credential cookies (`session_token=`, `device_token=`): their digests
    are bound to the current connection, as the hydrate binds the handshake's (a state or a StatePage holding a
    SessionState). Anything but a short string binds nothing, as a cookie that cannot be a token."""
    from sms2fa_app.backend.infra.crypto import TokenDigest

    delivered = {_DELIVERED[name]: TokenDigest.of(value) for name, value in tokens.items()}
    await state._bind(delivered, state._connection(), keep_issued=False)


async def settings_signed_in(services: Any, *, two_factor: bool) -> StatePage:
    """The loaded settings page of the test user, just signed in with their password (a 2FA user's challenge is
    skipped: the session is advanced directly)."""

    from sms2fa_app.backend.assurance import Amr
    from tests.support.factories import log_in

    issued = log_in(services)
    if two_factor:
        issued = services.sessions.advance(issued.token, (Amr.SMS,))
    state = settings_page()
    await deliver(state, session_token=issued.token)
    await run(state.load())
    return state
