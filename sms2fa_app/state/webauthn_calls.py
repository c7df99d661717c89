"""The browser's side of a passkey ceremony, run through Reflex's `rx.call_script`.

The server's options (py_webauthn's `options_to_json`) go in as a JSON string literal; the browser's own
`PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON` turn them into what
`navigator.credentials.create/get` take, and the credential's `toJSON()` comes back as JSON text for
py_webauthn's `parse_*_credential_json`: no base64url code of ours on either side. The script always
resolves: with the credential's JSON, or with "error:<name>" (the DOMException's name, or "unsupported"
when the browser has no WebAuthn JSON API or the page is not a secure context), which `browser_answer`
splits for the handler.
"""

from __future__ import annotations

import json
import re
from typing import Any

import reflex as rx
from reflex_base.event import EventSpec

ERROR_PREFIX = "error:"
UNSUPPORTED = "unsupported"
_ERROR_NAME = re.compile(r"[A-Za-z]{1,40}")

_CEREMONY = """(async () => {
  const api = window.PublicKeyCredential;
  if (!window.isSecureContext || !navigator.credentials || !api || typeof api.%(parse)s !== "function") {
    return "%(prefix)s%(unsupported)s";
  }
  try {
    const publicKey = api.%(parse)s(JSON.parse(%(options)s));
    const credential = await navigator.credentials.%(call)s({publicKey});
    return credential ? JSON.stringify(credential.toJSON()) : "%(prefix)sNotAllowedError";
  } catch (error) {
    return "%(prefix)s" + String((error && error.name) || "Error");
  }
})()"""


def _ceremony(call: str, parse: str, options_json: str, callback: Any) -> EventSpec:
    script = _CEREMONY % {
        "parse": parse,
        "call": call,
        "options": json.dumps(options_json),  # a JS string literal (ASCII-only, quotes escaped)
        "prefix": ERROR_PREFIX,
        "unsupported": UNSUPPORTED,
    }
    return rx.call_script(script, callback=callback)


def create_passkey(options_json: str, callback: Any) -> EventSpec:
    """Ask the browser to create a credential for the registration options; `callback` gets the answer."""
    return _ceremony("create", "parseCreationOptionsFromJSON", options_json, callback)


def get_passkey(options_json: str, callback: Any) -> EventSpec:
    """Ask the browser for an assertion for the authentication options; `callback` gets the answer."""
    return _ceremony("get", "parseRequestOptionsFromJSON", options_json, callback)


def browser_answer(answer: str) -> tuple[str, str]:
    """(error name, "") when the browser said no, else ("", the credential's JSON)."""
    if answer.startswith(ERROR_PREFIX):
        name = answer[len(ERROR_PREFIX) :]
        return (name if _ERROR_NAME.fullmatch(name) else "Error"), ""
    return "", answer
