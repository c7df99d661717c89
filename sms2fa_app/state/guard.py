"""The one guard of public Reflex handlers.

Every public state method can be called from the browser with any arguments, so each one is written as
`@guarded(...) async def name(self, caller: Caller, <args>) -> list | None`; the decorator exposes it
as a handler that takes only `<args>`, and:

- checks the type and size of every argument against the method's annotations (`dict` = a submitted
  form of short strings, `str` = one short string, `BrowserJson` = the JSON text one of our page scripts
  returns, such as a WebAuthn credential: longer, still bounded) and refuses anything else with a short
  message;
- ignores a call while the same busy flag is up (one request at a time per button), shows the flag
  while working, and always lowers it;
- with `slow=True`, runs the slow work (hashing, texts, other services) without holding the tab's state
  lock, as a Reflex background event;
- resolves the caller on the server (never from event data): nobody, a session waiting for its second
  factor, or a signed-in user; anyone else is sent to /login;
- names the calling client (IP, user agent) to the backend for what it records (infra/client.py);
- turns an outage into a short message and any other exception into the same message plus a log line
  with the traceback: no exception text ever reaches the browser.

The exposed handler has the public signature (without `caller`), so Reflex's event-handler
introspection sees the arguments the browser sends.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import reflex as rx

from sms2fa_app.backend.assurance import Assurance
from sms2fa_app.backend.factors.passkeys import MAX_CREDENTIAL_JSON_LENGTH
from sms2fa_app.backend.identity.sessions import ActiveSession
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.client import ClientInfo, acting_client
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import User
from sms2fa_app.state import words

log = logging.getLogger("sms2fa.state")
T = TypeVar("T")

LOGIN_PATH = "/login"
MAX_FORM_FIELDS = 16
MAX_FIELD_NAME_LENGTH = 64
MAX_FIELD_LENGTH = 1024
MAX_ARGUMENT_LENGTH = 256


class Access(enum.Enum):
    """Who may call a handler, read from the session's assurance (backend/assurance.py)."""

    ANYONE = "anyone"  # no session needed (log in, sign up)
    PENDING = "pending"  # a session waiting for its second factor, whose user has a number (the challenge)
    SIGNED_IN = "signed_in"  # a fully signed-in user

    def admits(self, assurance: Assurance) -> bool:
        """Whether a session of this assurance may call a handler of this access."""
        if self is Access.ANYONE:
            return True
        return assurance.awaiting_second_factor if self is Access.PENDING else assurance.signed_in


@dataclass(frozen=True)
class Caller:
    """Who called, as resolved on the server (None for Access.ANYONE)."""

    session: ActiveSession | None = None
    user: User | None = None

    @property
    def signed_in(self) -> tuple[ActiveSession, User]:
        """The session and user of a resolved caller."""
        assert self.session is not None and self.user is not None
        return self.session, self.user


class BadArguments(ValueError):
    """The browser sent arguments of the wrong type or size."""


def clean_form(value: object) -> dict[str, str]:
    """A submitted form: at most MAX_FORM_FIELDS short text fields (checkboxes become "on"/""; a field the page
    did not render, which Reflex sends as null, becomes "")."""
    if not isinstance(value, dict) or len(value) > MAX_FORM_FIELDS:
        raise BadArguments("form")
    form: dict[str, str] = {}
    for name, field in value.items():
        if not isinstance(name, str) or len(name) > MAX_FIELD_NAME_LENGTH:
            raise BadArguments("field name")
        if isinstance(field, bool):
            field = "on" if field else ""
        elif field is None:
            field = ""
        if not isinstance(field, str) or len(field) > MAX_FIELD_LENGTH:
            raise BadArguments(name)
        form[name] = field
    return form


def clean_text(value: object) -> str:
    """One short string argument."""
    if not isinstance(value, str) or len(value) > MAX_ARGUMENT_LENGTH:
        raise BadArguments("text")
    return value


class BrowserJson(str):
    """The annotation of an argument that is JSON text returned by one of our page scripts (a WebAuthn
    credential): at most MAX_CREDENTIAL_JSON_LENGTH characters; its content is the backend's to parse."""


def clean_browser_json(value: object) -> str:
    """One bounded JSON text from our own page script."""
    if not isinstance(value, str) or len(value) > MAX_CREDENTIAL_JSON_LENGTH:
        raise BadArguments("json")
    return value


_CLEANERS: dict[Any, Callable[[object], Any]] = {
    dict: clean_form,
    "dict": clean_form,
    str: clean_text,
    "str": clean_text,
    BrowserJson: clean_browser_json,
    "BrowserJson": clean_browser_json,
}


def _public_signature(method: Callable[..., Any]) -> tuple[inspect.Signature, list[Callable[[object], Any]]]:
    """The browser-facing signature (self + arguments, without `caller`) and a cleaner per argument."""
    parameters = list(inspect.signature(method).parameters.values())
    self_param, _caller, *arguments = parameters
    cleaners = []
    for parameter in arguments:
        annotation = (
            parameter.annotation.split("[")[0] if isinstance(parameter.annotation, str) else parameter.annotation
        )
        if annotation not in _CLEANERS:
            raise TypeError(
                f"{method.__qualname__}: argument {parameter.name!r} needs a dict, str or BrowserJson annotation"
            )
        cleaners.append(_CLEANERS[annotation])
    return inspect.Signature([self_param, *arguments]), cleaners


async def resolve_caller(state: Any, access: Access) -> Caller | None:
    """The caller a handler may serve, or None (send them to /login)."""
    if access is Access.ANYONE:
        return Caller()
    session, user = await state._session_and_user() or (None, None)
    if session is None or user is None or not access.admits(session.assurance):
        return None
    if access is Access.PENDING and not user.phone_number:
        return None
    return Caller(session, user)


Apply = Callable[[], Awaitable[list | None]]


def guarded(
    *,
    access: Access = Access.SIGNED_IN,
    busy: str | None = "busy",
    error: str = "error",
    slow: bool = False,
    show_busy: bool = True,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., AsyncIterator[Any]]]:
    """Expose `work(self, caller, ...)` as a public handler behind the checks above (see the module doc).

    `slow=True` is for handlers that hash a password, send a text or call another service: the handler runs
    as a Reflex background event, and the state lock is held only to raise the busy flag and, at the end,
    to lower it and apply the result. `work` runs without the lock: it may read the state as it was when
    the event arrived, but writes nothing; it returns `apply`, an async function that makes the state
    writes (and may make fast backend calls) under the lock and returns the events. `busy=None`: no busy
    flag (page loads), which saves the first lock. `show_busy=False`: a fast handler (no hashing, text or other
    service) does not send its raised flag on its own: its result follows in a few milliseconds, and the tab's
    events wait for it anyway (only a slow handler lets another event of the tab in while it works).
    """

    def decorate(work: Callable[..., Awaitable[Any]]) -> Callable[..., AsyncIterator[Any]]:
        signature, cleaners = _public_signature(work)

        def arguments(self: Any, args: tuple, kwargs: dict) -> list[Any] | None:
            try:
                bound = signature.bind(self, *args, **kwargs)
                return [clean(value) for clean, value in zip(cleaners, list(bound.arguments.values())[1:], strict=True)]
            except (TypeError, BadArguments):
                log_event(log, logging.WARNING, "bad_arguments", handler=work.__name__)
                return None

        @functools.wraps(work)
        async def handler(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            values = arguments(self, args, kwargs)
            if values is None:
                setattr(self, error, words.common.INVALID_REQUEST)
                return
            if busy is not None and getattr(self, busy):
                return
            setattr(self, error, "")
            if busy is not None:
                setattr(self, busy, True)
            events: list | None = None
            started = time.perf_counter()

            async def act() -> list | None:
                caller = await resolve_caller(self, access)
                return [rx.redirect(LOGIN_PATH)] if caller is None else await work(self, caller, *values)

            try:
                if busy is not None and show_busy:
                    yield  # show the busy flag (lowered in `finally`, even if the browser goes away here)
                with acting_client(ClientInfo(self._client_ip(), self._user_agent())):
                    events, failure = await _reported(work.__name__, act)
                if failure:
                    setattr(self, error, failure)
            finally:
                if busy is not None:
                    setattr(self, busy, False)
                metrics.HANDLER_SECONDS.labels(handler=work.__name__).observe(time.perf_counter() - started)
            for event in events or []:
                yield event

        @functools.wraps(work)
        async def background(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            started_on = self._connection()  # before any await: the connection whose event started this
            values = arguments(self, args, kwargs)
            if values is None:
                async with self:
                    setattr(self, error, words.common.INVALID_REQUEST)
                return
            if busy is not None:
                async with self:
                    if getattr(self, busy):
                        return
                    setattr(self, error, "")
                    setattr(self, busy, True)
            client = ClientInfo(self._client_ip(), self._user_agent())
            started = time.perf_counter()

            async def act() -> Apply:
                caller = await resolve_caller(self, access)
                return _redirect_to_login if caller is None else await work(self, caller, *values)

            try:
                with acting_client(client):
                    apply, failure = await _reported(work.__name__, act)
            except asyncio.CancelledError:  # the worker is stopping: leave no busy flag up in a shared state
                if busy is not None:
                    async with self:
                        setattr(self, busy, False)
                raise
            events: list | None = None
            async with self:
                if busy is not None:
                    setattr(self, busy, False)
                setattr(self, error, failure)
                if apply is not None and not self._tab_served_by(started_on):
                    # Another connection's event took the tab while `work` ran (a replayed tab id, or this
                    # browser's own reconnect): the result is for nobody here. Not a token, not a private value.
                    log_event(log, logging.WARNING, "result_dropped", handler=work.__name__, reason="connection")
                    apply = None
                if apply is not None:
                    with acting_client(client):
                        events, failure = await _reported(work.__name__, apply)
                    if failure:
                        setattr(self, error, failure)
                metrics.HANDLER_SECONDS.labels(handler=work.__name__).observe(time.perf_counter() - started)
                for event in events or []:  # under the lock: sent with the result's delta, in one frame
                    yield event

        exposed = background if slow else handler
        exposed.__signature__ = signature  # type: ignore[attr-defined]
        exposed.__annotations__ = {
            name: value for name, value in work.__annotations__.items() if name not in ("caller", "return")
        }
        del exposed.__wrapped__  # introspection must see the public signature, not the inner signature
        return rx.event(background=True)(exposed) if slow else exposed

    return decorate


async def _reported(handler: str, call: Callable[[], Awaitable[T]]) -> tuple[T | None, str]:
    """`call()`'s result and ""; or None and the words for an outage or a bug (a bug is logged, never shown)."""
    try:
        return await call(), ""
    except ServiceUnavailable:
        return None, words.common.SERVICE_UNAVAILABLE
    except Exception:
        log.exception("event=handler_failed handler=%s", handler)
        return None, words.common.SERVICE_UNAVAILABLE


async def _redirect_to_login() -> list:
    return [rx.redirect(LOGIN_PATH)]
