"""/dev/outbox: development-only list of the texts and mails the app sent."""

from __future__ import annotations

import reflex as rx

from sms2fa_app.components.forms import said_callout
from sms2fa_app.components.language import t
from sms2fa_app.components.layout import card
from sms2fa_app.state.dev_outbox import DevOutboxState, OutboxEntry
from sms2fa_app.state.words import admin_pages as W
from sms2fa_app.state.words.settings import CHANNEL_WHATSAPP


def _channel(message: OutboxEntry) -> rx.Var[str]:
    return rx.match(message.channel, ("mail", t(W.OUTBOX_MAIL)), ("whatsapp", t(CHANNEL_WHATSAPP)), t(W.OUTBOX_TEXT))


def _message(message: OutboxEntry) -> rx.Component:
    return rx.card(
        rx.text(rx.badge(_channel(message)), " ", rx.text.strong(message.recipient), " · ", message.at, size="2"),
        rx.cond(message.subject != "", rx.text(rx.text.strong(message.subject))),
        rx.text(message.text, white_space="pre-wrap", size="2"),
        rx.foreach(message.links, lambda link: rx.link(link, href=link, size="2", word_break="break-all")),
        width="100%",
    )


REFRESH_MS = 2000


def dev_outbox_page() -> rx.Component:
    """Channel, recipient, time and text of each development message; links are clickable. It reloads by itself
    every REFRESH_MS while it is open (a timer of the bundle: no script text under the CSP; it stops with the page).
    "Clear limits for this machine" forgets every limit, cooldown and lockout (state/dev_outbox.py)."""
    return card(
        W.DEV_OUTBOX,
        rx.text(t(W.DEV_OUTBOX_INTRO), size="2"),
        rx.hstack(
            rx.button(t(W.REFRESH), on_click=DevOutboxState.refresh, variant="soft"),
            rx.button(t(W.CLEAR_LIMITS), on_click=DevOutboxState.clear_limits, variant="outline"),
            wrap="wrap",
            spacing="3",
        ),
        said_callout(DevOutboxState.limits_notice, DevOutboxState.limits_notice_id, role="status"),
        rx.moment(interval=REFRESH_MS, on_change=DevOutboxState.tick, display="none", data_testid="outbox-timer"),
        rx.foreach(DevOutboxState.messages, _message),
        rx.cond(DevOutboxState.messages.length() == 0, rx.text(t(W.NO_MESSAGES_YET), color_scheme="gray")),
    )
