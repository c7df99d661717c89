"""JavaScript the pages run in the browser, compiled into the bundle: never a string the browser evaluates.

The Content-Security-Policy allows scripts only from the site and by hash (no 'unsafe-eval'). Reflex's
`rx.call_script` and the callback of `rx.call_function` reach its event loop as strings that it passes to eval(),
which that policy refuses: the call throws and nothing happens. `run_in_browser` builds the same `_call_function`
event with the function and the callback as code of the bundle, which Reflex calls without eval. A handler on the
server cannot send code at all: it keeps a request in state, and a component here runs it (`passkey_ceremony`).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app import reflex_adapter as internals
from sms2fa_app.state.webauthn_calls import ERROR_PREFIX, UNSUPPORTED

# The body of the ceremony's function: `request` is webauthn_calls' JSON text ({"id", "call", "options"}). It
# resolves with the credential's JSON, or with "error:<name>" (the DOMException's name, or "unsupported").
# A request id already started in this page is not run again and answers nothing (`undefined`): a remount or a
# re-render is no user action, and a second creation would leave the authenticator a credential the server
# never stored.
_CEREMONY = """
const request = JSON.parse(%(request)s);
const started = (window.%(started)s = window.%(started)s || new Set());
if (started.has(request.id)) { return undefined; }
started.add(request.id);
const call = request.call === "create" ? "create" : "get";
const parse = call === "create" ? "parseCreationOptionsFromJSON" : "parseRequestOptionsFromJSON";
const api = window.PublicKeyCredential;
if (!window.isSecureContext || !navigator.credentials || !api || typeof api[parse] !== "function") {
  return Promise.resolve("%(prefix)s%(unsupported)s");
}
return (async () => {
  try {
    const credential = await navigator.credentials[call]({publicKey: api[parse](JSON.parse(request.options))});
    return credential ? JSON.stringify(credential.toJSON()) : "%(prefix)sNotAllowedError";
  } catch (error) {
    return "%(prefix)s" + String((error && error.name) || "Error");
  }
})();
"""


_STARTED = "sms2faStartedCeremonies"  # the ids of the ceremony requests this page has run


def run_in_browser(
    body: str, callback: Any = None, uses: rx.Var | None = None, *, answer_required: bool = False
) -> rx.event.EventSpec:
    """An event that runs the JavaScript function `body` (statements; `return` gives `callback` its value) in the
    browser, from the bundle. `uses`: a state var the body names by its JavaScript expression. With
    `answer_required`, a body that returns `undefined` calls nothing back (it had nothing to answer)."""
    function = internals.bundled_function(body, uses)
    return internals.call_function_event(function, callback, skip_undefined=answer_required)


def passkey_ceremony(request: rx.Var[str], callback: Any) -> rx.Component:
    """Runs the passkey ceremony a handler put in `request` once per request (a new one mounts anew; the same
    one mounted again runs nothing) and sends the browser's answer to `callback`. Invisible."""
    body = _CEREMONY % {
        "request": internals.js_expression(request),
        "started": _STARTED,
        "prefix": ERROR_PREFIX,
        "unsupported": UNSUPPORTED,
    }
    ceremony = run_in_browser(body, callback, uses=request, answer_required=True)
    return rx.cond(request != "", rx.box(key=request, on_mount=ceremony, display="none"))
