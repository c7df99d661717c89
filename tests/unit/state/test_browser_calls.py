"""The pages' browser calls are code in the bundle, never text the browser must eval() (the CSP forbids it)."""

from __future__ import annotations

from sms2fa_app.components.browser_calls import run_in_browser
from sms2fa_app.components.otp import web_otp
from sms2fa_app.components.pow import with_proof
from sms2fa_app.state.challenge import ChallengeState
from sms2fa_app.state.webauthn_calls import get_passkey
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


def test_a_ceremony_request_carries_the_call_and_the_options() -> None:
    assert get_passkey('{"challenge": "abc"}') == '{"call": "get", "options": "{\\"challenge\\": \\"abc\\"}"}'
    assert compiled(run_in_browser("return 1;")).startswith(
        'ReflexEvent("_call_function", {function:(() => {return 1;})'
    )
