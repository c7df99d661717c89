"""The proof-of-work widget (ALTCHA, served from assets/vendor by scripts/vendor_altcha.sh).

Shown only when the server asks for a proof: it gets the server's challenge, solves it in the browser as
soon as it appears, and keeps the solution in a hidden `altcha` field. Inside a form, the field is posted
with the form; buttons outside a form read it with `with_proof` (compiled JavaScript whose result is the
handler's form argument: no rx.call_script, which the Content-Security-Policy refuses).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.reflex_adapter import HtmlElement
from sms2fa_app.state.proof import PROOF_FIELD as FIELD

WIDGET_SCRIPT = "/vendor/altcha.min.js"
# The solution as a one-field form, {"altcha": "..."} ("" while unsolved or when no widget is shown).
READ_PROOF = f"({{{FIELD}: document.querySelector('altcha-widget input[name={FIELD}]')?.value ?? ''}})"


def with_proof(handler: Any) -> rx.event.EventSpec:
    """Call `handler` with the form {"altcha": the widget's solution} (a button outside any form)."""
    return run_in_browser(f"return {READ_PROOF};", handler)


class AltchaWidget(HtmlElement):
    """<altcha-widget>: the custom element the widget script defines (rendered by its tag name, like an HTML
    element, not imported)."""

    tag = "AltchaWidget"  # an identifier: Reflex names memoized components after the tag

    def _get_tag_name(self) -> str:
        return '"altcha-widget"'

    challenge: rx.Var[str]
    auto: rx.Var[str]
    name: rx.Var[str]
    type: rx.Var[str]


def proof_of_work(challenge: rx.Var[str]) -> rx.Component:
    """The widget for `challenge` (a new challenge mounts a new widget), when there is one."""
    return rx.cond(
        challenge != "",
        rx.box(
            rx.el.script(src=WIDGET_SCRIPT, type="module", async_=True),
            AltchaWidget.create(challenge=challenge, auto="onload", name=FIELD, type="checkbox", key=challenge),
            width="100%",
            data_testid="proof-of-work",
        ),
    )
