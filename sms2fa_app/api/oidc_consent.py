"""The consent page of the authorization endpoint, in words: the backend says which app asks for which scopes
(backend/oidc/provider.ConsentAsked); this page asks the user once, with a plain form (no script, no style), in
their language (their choice, else Accept-Language, else English, as every page: api/oidc.py negotiates it),
`<html lang dir>` included."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse, Response

from sms2fa_app.backend.i18n.locales import is_right_to_left, language_tag
from sms2fa_app.backend.i18n.phrases import Phrase
from sms2fa_app.backend.oidc.provider import ConsentAsked

TITLE = Phrase("consent.title", "Allow {app}?")
HEADING = Phrase("consent.heading", "Sign in to {app} with {site}")
RECEIVES = Phrase("consent.receives", "{app} will receive:")
ALLOW = Phrase("consent.allow", "Allow")
DENY = Phrase("consent.deny", "Deny")
# What each scope gives the app, in the order shown ("openid" is always there).
SCOPE_WORDS = {
    "openid": Phrase("consent.scope.openid", "who you are (an identifier that never changes)"),
    "email": Phrase("consent.scope.email", "your email address"),
    "offline_access": Phrase(
        "consent.scope.offline_access", "access while you are away, until you sign out or disconnect it"
    ),
}
# No script, style or frame: the page is a form. (form-action stays open: browsers apply it to the redirect to the
# app that follows the post.)
POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def consent_page(asked: ConsentAsked, app_name: str, locale: str) -> Response:
    """The page asking whether `asked.client_name` may sign the user in and receive what its scopes give."""

    def said(phrase: Phrase) -> str:
        return html.escape(phrase(locale, app=asked.client_name, site=app_name))

    items = "".join(f"<li>{said(words)}</li>" for scope, words in SCOPE_WORDS.items() if scope in asked.scopes)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(field)}" value="{html.escape(value)}">'
        for field, value in asked.fields
    )
    direction = "rtl" if is_right_to_left(locale) else "ltr"
    body = (
        f'<!doctype html><html lang="{language_tag(locale)}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{said(TITLE)}</title></head><body><main>"
        f"<h1>{said(HEADING)}</h1><p>{said(RECEIVES)}</p><ul>{items}</ul>"
        f'<form method="post" action="{html.escape(asked.action)}">{hidden}'
        f'<button type="submit" name="consent" value="allow">{said(ALLOW)}</button> '
        f'<button type="submit" name="consent" value="deny">{said(DENY)}</button></form></main></body></html>'
    )
    headers = {
        "Content-Security-Policy": POLICY,
        "Content-Language": language_tag(locale),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }
    return HTMLResponse(body, headers=headers)
