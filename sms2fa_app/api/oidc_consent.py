"""The consent page of the authorization endpoint, in words: the backend says which app asks for which scopes
(backend/oidc/provider.ConsentAsked); this page asks the user once, with a plain form (no script, no style)."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse, Response

from sms2fa_app.backend.oidc.provider import ConsentAsked

# What each scope gives the app, in the order shown ("openid" is always there).
SCOPE_WORDS = {
    "openid": "who you are (an identifier that never changes)",
    "email": "your email address",
    "offline_access": "access while you are away, until you sign out or disconnect it",
}
# No script, style or frame: the page is a form. (form-action stays open: browsers apply it to the redirect to the
# app that follows the post.)
POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def consent_page(asked: ConsentAsked, app_name: str) -> Response:
    """The page asking whether `asked.client_name` may sign the user in and receive what its scopes give."""
    name, site = html.escape(asked.client_name), html.escape(app_name)
    items = "".join(f"<li>{html.escape(words)}</li>" for scope, words in SCOPE_WORDS.items() if scope in asked.scopes)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(field)}" value="{html.escape(value)}">'
        for field, value in asked.fields
    )
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Allow {name}?</title></head><body><main>'
        f"<h1>Sign in to {name} with {site}</h1><p>{name} will receive:</p><ul>{items}</ul>"
        f'<form method="post" action="{html.escape(asked.action)}">{hidden}'
        '<button type="submit" name="consent" value="allow">Allow</button> '
        '<button type="submit" name="consent" value="deny">Deny</button></form></main></body></html>'
    )
    headers = {
        "Content-Security-Policy": POLICY,
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }
    return HTMLResponse(body, headers=headers)
