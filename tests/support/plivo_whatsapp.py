"""What the local Plivo server (plivo_server.py) checks in a WhatsApp template send: the shape Plivo's SDK posts for
an authentication template (`messages.create(type_="whatsapp", template=...)`), as Plivo's API documents it."""

from __future__ import annotations

from typing import Any

WHATSAPP = "whatsapp"
MAX_CODE_LENGTH = 15  # Meta's limit for an authentication template's code


def whatsapp_problem(payload: dict[str, Any]) -> str:
    """Why Plivo would refuse this WhatsApp send ("" when it is well formed): src and dst, no free text, a template
    with a name, a language, a body parameter (the code) and a copy-code (url) button at index 0 with the same code."""
    for name in ("src", "dst", "template"):
        if not payload.get(name):
            return f"missing parameter: {name}"
    if payload.get("text"):
        return "a WhatsApp message outside a conversation must be a template, not text"
    template = payload["template"]
    if not isinstance(template, dict) or not template.get("name") or not template.get("language"):
        return "template needs a name and a language"
    body = _component(template, "body")
    button = _component(template, "button")
    if body is None or button is None:
        return "an authentication template needs a body and a copy-code button"
    if button.get("sub_type") != "url" or str(button.get("index")) != "0":
        return "the copy-code button is a url button at index 0"
    code = _text(body)
    if not code or len(code) > MAX_CODE_LENGTH or _text(button) != code:
        return "the body and the button carry the same code of at most 15 characters"
    return ""


def template_code(payload: dict[str, Any]) -> str:
    """The code a well-formed template carries (its body parameter)."""
    body = _component(payload["template"], "body")
    return _text(body) if body is not None else ""


def _component(template: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for component in template.get("components") or []:
        if isinstance(component, dict) and component.get("type") == kind:
            return component
    return None


def _text(component: dict[str, Any]) -> str:
    parameters = component.get("parameters") or []
    first = parameters[0] if parameters and isinstance(parameters[0], dict) else {}
    return str(first.get("text") or "") if first.get("type") == "text" else ""
