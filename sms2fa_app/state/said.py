"""Which message a state shows, by id: each `*_id` computed var names the catalogue entry (state/words/) that its
message var reads, so tests and the page's `data-message-id` attribute assert the message, not its English (and a
later per-locale rendering keeps the same ids)."""

from typing import Any

import reflex as rx

from sms2fa_app.state.words import message_id
from sms2fa_app.state.words.catalogue import Rendered, Text


@rx.serializer
def _text_words(value: Text) -> str:
    """A catalogue entry reaches the browser as its words (Reflex would serialize a str subclass as a list)."""
    return str(value)


@rx.serializer
def _rendered_words(value: Rendered) -> str:
    """Filled-in words reach the browser as plain words."""
    return str(value)


def said_id(field: str) -> Any:
    """A computed var `<field>_id`: the id of the words in `field` ("" for none)."""

    def fget(state: rx.State) -> str:
        return message_id(getattr(state, field))

    fget.__name__ = fget.__qualname__ = f"{field}_id"
    return rx.var(fget, deps=[field], auto_deps=False)


class ErrorId(rx.State, mixin=True):
    """For a state with an `error` var."""

    error_id = said_id("error")


class NoticeId(rx.State, mixin=True):
    """For a state with a `notice` var."""

    notice_id = said_id("notice")
