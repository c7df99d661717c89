"""The server's side of a passkey ceremony the browser runs (components/passkey_ceremony.py).

A handler does not send a script (`rx.call_script` reaches the browser as a string that Reflex's event loop
passes to eval(), which the Content-Security-Policy forbids): it keeps a ceremony request in a state var,
and the page's `passkey_ceremony` component, compiled into the bundle, runs it once and answers the handler
the page names. The server's options (py_webauthn's `options_to_json`) go in as JSON text; the browser's own
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
import secrets

ERROR_PREFIX = "error:"
UNSUPPORTED = "unsupported"
_ERROR_NAME = re.compile(r"[A-Za-z]{1,40}")


def ceremony_request(call: str, options_json: str) -> str:
    """What a state keeps for the page's `passkey_ceremony` to run: the ceremony ("create" or "get"), the
    server's options JSON and a random id, as one JSON text. The page runs each id once, however often the
    request is rendered; a new user action makes a new request."""
    return json.dumps({"id": secrets.token_urlsafe(12), "call": call, "options": options_json})


def create_passkey(options_json: str) -> str:
    """The request to create a credential for the registration options."""
    return ceremony_request("create", options_json)


def get_passkey(options_json: str) -> str:
    """The request for an assertion for the authentication options."""
    return ceremony_request("get", options_json)


def browser_answer(answer: str) -> tuple[str, str]:
    """(error name, "") when the browser said no, else ("", the credential's JSON)."""
    if answer.startswith(ERROR_PREFIX):
        name = answer[len(ERROR_PREFIX) :]
        return (name if _ERROR_NAME.fullmatch(name) else "Error"), ""
    return "", answer
