"""'Send my codes by': a text message or WhatsApp, for the same verified number."""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.language import t
from sms2fa_app.state import words
from sms2fa_app.state.settings.sms import CHANNEL_FIELD
from sms2fa_app.state.words.catalogue import Text


def channel_choice(selected: rx.Var[str] | str, on_change: Any = None) -> rx.Component:
    """Two native radios in a fieldset named by its legend (they post with a form; on the settings page
    `on_change` saves the choice at once, given the radio's value)."""

    def option(value: str, label: Text) -> rx.Component:
        checked = {"checked": selected == value, "on_change": on_change} if on_change is not None else {}
        return rx.el.label(
            rx.el.input(
                type="radio",
                name=CHANNEL_FIELD,
                value=value,
                default_checked=None if on_change is not None else value == "sms",
                data_testid=f"channel-{value}",
                **checked,
            ),
            " ",
            t(label),
            style={"display": "flex", "gap": "8px", "align_items": "center", "min_height": "24px"},
        )

    return rx.el.fieldset(
        rx.el.legend(t(words.settings.CODES_BY), style={"font_weight": "500", "margin_bottom": "4px"}),
        option("sms", words.settings.CHANNEL_SMS),
        option("whatsapp", words.settings.CHANNEL_WHATSAPP),
        style={"border": "none", "padding": "0", "margin": "0"},
        data_testid="channel-choice",
    )
