"""The proof-of-work widget (ALTCHA, served from assets/vendor by scripts/vendor_altcha.sh).

Mounted only when the server asks for a proof: it gets the server's challenge, solves it in the browser as
soon as it appears, unseen (ALTCHA's invisible display: nothing to tick, nothing to click), and keeps the
solution in a hidden `altcha` field. Inside a form, the field is posted with the form; buttons outside a form
read it with `with_proof` (compiled JavaScript whose result is the handler's form argument: no rx.call_script,
which the Content-Security-Policy refuses). When the proof was asked for a request the person already made
(`resubmit`), that request goes again by itself once the proof is ready: the widget's form is submitted (what
was typed stays in it), or the button `retry` names is pressed.
"""

from __future__ import annotations

import json
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


# Once the widget's field holds a solution: submit its form (with the form's own submit button, so the browser's
# validation stays off as on a click), or press the `retry` button. One watch per page: a newer one replaces it.
_RESUBMIT = """
clearInterval(window.__sms2faProofWatch);
const started = Date.now();
window.__sms2faProofWatch = setInterval(() => {
  const input = document.querySelector('altcha-widget input[name=%(field)s]');
  if (Date.now() - started > %(give_up_ms)d) { clearInterval(window.__sms2faProofWatch); return; }
  if (!input || !input.value) { return; }
  clearInterval(window.__sms2faProofWatch);
  const form = input.closest('form');
  const retry = %(retry)s ? document.getElementById(%(retry)s) : null;
  if (form) {
    form.requestSubmit(form.querySelector('button[type=submit]') || undefined);
  } else if (retry && !retry.disabled) {
    retry.click();
  }
}, 200);
"""
GIVE_UP_MS = 120_000  # a proof not solved by then (a very slow device) waits for the person's own click


def proof_of_work(challenge: rx.Var[str], resubmit: rx.Var[bool] | bool = False, retry: str = "") -> rx.Component:
    """The widget for `challenge` (a new challenge mounts a new widget), when there is one, solving unseen; with
    `resubmit`, the request that asked for it goes again once it is solved (its form, or the button `retry`)."""
    watch = _RESUBMIT % {"field": FIELD, "retry": json.dumps(retry), "give_up_ms": GIVE_UP_MS}
    return rx.cond(
        challenge != "",
        rx.box(
            rx.el.script(src=WIDGET_SCRIPT, type="module", async_=True),
            AltchaWidget.create(
                challenge=challenge,
                auto="onload",
                name=FIELD,
                type="checkbox",
                key=challenge,
                custom_attrs={"display": "invisible"},
            ),
            rx.cond(resubmit, rx.box(key=challenge, on_mount=run_in_browser(watch), display="none")),
            width="100%",
            data_testid="proof-of-work",
        ),
    )
