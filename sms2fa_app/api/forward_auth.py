"""Forward-auth over HTTP (docs/forward-auth.md): the one question reverse proxies ask before each request to an app
sms2fa protects, in the two shapes they ask it.

- GET /api/auth/verify, for nginx `auth_request`: the original URL in X-Original-URL; 200 with the Remote-* headers,
  401 with `Location: <login?rd=...>` (nginx turns it into a redirect with `error_page 401 =302`), 403 for a request
  nobody may make.
- GET /api/auth/forward, for Caddy `forward_auth` and Traefik ForwardAuth: the original in X-Forwarded-Proto, -Host
  and -Uri; the same answers but a redirect (302, or 303 after a POST) instead of the 401, since these proxies return
  any answer but a 2xx to the browser as it is.

Both accept any method (a proxy may ask with the original one). The Remote-* headers are always present, empty on a
bypass rule, so a proxy copying them overwrites whatever the client sent.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.protect.facts import SessionFacts
from sms2fa_app.backend.protect.targets import forwarded_url
from sms2fa_app.backend.protect.verifier import Allow, Decision, LogIn
from sms2fa_app.backend.services import get_services

VERIFY_PATH = "/api/auth/verify"
FORWARD_PATH = "/api/auth/forward"
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
NO_STORE = {"Cache-Control": "no-store"}
_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f]")


def identity_headers(who: SessionFacts | None) -> dict[str, str]:
    """Remote-User (the account's id: an address can change), Remote-Email, Remote-Name, Remote-Amr (RFC 8176
    methods, comma-separated); all empty for nobody."""
    values = ("", "", "", "") if who is None else (str(who.user_id), who.email, who.name, ",".join(who.amr))
    names = ("Remote-User", "Remote-Email", "Remote-Name", "Remote-Amr")
    return {name: _UNSAFE_IN_HEADER.sub("", value) for name, value in zip(names, values, strict=True)}


async def _decide(request: Request, original_url: str | None) -> Decision | Response:
    try:
        verifier = get_services().forward_auth
        return await verifier.verify_async(request.headers.get("cookie"), original_url, run_in_threadpool)
    except ServiceUnavailable:  # the proxy refuses the request (nginx: 500); never let it through
        return Response(status_code=503, headers=NO_STORE)


def _answer(decision: Decision | Response, login_status: int) -> Response:
    if isinstance(decision, Response):
        return decision
    if isinstance(decision, Allow):
        return Response(status_code=200, headers={**NO_STORE, **identity_headers(decision.who)})
    if isinstance(decision, LogIn):
        return Response(status_code=login_status, headers={**NO_STORE, "Location": decision.login_url})
    return Response(status_code=403, headers=NO_STORE)


async def verify(request: Request) -> Response:
    """nginx auth_request's subrequest."""
    decision = await _decide(request, request.headers.get("x-original-url"))
    return _answer(decision, 401)


async def forward(request: Request) -> Response:
    """Caddy's forward_auth and Traefik's ForwardAuth request."""
    headers = request.headers
    original = forwarded_url(
        headers.get("x-forwarded-proto"), headers.get("x-forwarded-host"), headers.get("x-forwarded-uri")
    )
    method = headers.get("x-forwarded-method", "GET").upper()
    decision = await _decide(request, original)
    return _answer(decision, 302 if method in ("GET", "HEAD") else 303)
