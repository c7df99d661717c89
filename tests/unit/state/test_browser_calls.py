"""The pages' browser calls are code in the bundle, never text the browser must eval() (the CSP forbids it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
import reflex as rx

from sms2fa_app.components.browser_calls import passkey_ceremony, run_in_browser
from sms2fa_app.components.otp import web_otp
from sms2fa_app.components.pow import with_proof
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.webauthn_calls import create_passkey, get_passkey
from tests.support import reflex_internals


def compiled(spec) -> str:
    return reflex_internals.compiled_event(spec)


def test_a_browser_call_and_its_callback_are_compiled_functions() -> None:
    text = compiled(with_proof(ChallengeState.resend))
    assert text.startswith('ReflexEvent("_call_function", {function:(() => {return (')
    assert "callback:(_result) => {addEvents(" in text  # code, not a string for eval()
    assert "_call_script" not in text and 'callback:"' not in text


def test_webotp_runs_without_eval() -> None:
    [event] = web_otp().event_triggers["on_mount"].events
    assert reflex_internals.handler_qualname(event) == "_call_function"
    assert "navigator.credentials.get({otp:" in compiled(event)


def test_a_ceremony_request_carries_an_id_the_call_and_the_options() -> None:
    request = json.loads(get_passkey('{"challenge": "abc"}'))
    assert request["call"] == "get" and request["options"] == '{"challenge": "abc"}'
    assert request["id"] != json.loads(get_passkey('{"challenge": "abc"}'))["id"]  # one per user action
    assert compiled(run_in_browser("return 1;")).startswith(
        'ReflexEvent("_call_function", {function:(() => {return 1;})'
    )


def _on_mount(component: rx.Component) -> Any:
    """The first on_mount event in the component's tree."""
    if "on_mount" in component.event_triggers:
        return component.event_triggers["on_mount"].events[0]
    found = [_on_mount(child) for child in component.children if isinstance(child, rx.Component)]
    return next(event for event in found if event is not None) if any(found) else None


# Runs the ceremony's compiled function twice for one request, as a remount does, in Node with a stub WebAuthn API.
_TWICE = """
Object.defineProperty(globalThis, "window", {value: globalThis, configurable: true});
Object.defineProperty(globalThis, "isSecureContext", {value: true, configurable: true});
let creations = 0;
const credential = {toJSON: () => ({id: "credential"})};
const credentials = {create: async () => { creations += 1; return credential; }};
Object.defineProperty(globalThis, "navigator", {value: {credentials}, configurable: true});
globalThis.PublicKeyCredential = {parseCreationOptionsFromJSON: (options) => options};
const ceremony = FUNCTION;
(async () => {
  const first = await ceremony();
  const again = ceremony();
  console.log(JSON.stringify({first, again: again === undefined ? null : await again, creations}));
})();
"""


def test_a_ceremony_request_runs_once_however_often_it_mounts() -> None:
    """Issue 23: a remount or a re-render of the same request is no user action: no second creation, no answer."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    request = create_passkey('{"challenge": "abc"}')
    text = compiled(_on_mount(passkey_ceremony(rx.Var.create(request), ChallengeState.finish_passkey)))
    function = text.split("{function:", 1)[1].split(",callback:", 1)[0]
    script = _TWICE.replace("FUNCTION", function)
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    ran = json.loads(result.stdout)
    assert ran == {"first": '{"id":"credential"}', "again": None, "creations": 1}
    assert "result === undefined ? undefined" in text  # and a run that answers nothing calls nothing back
