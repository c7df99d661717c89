"""The OpenID provider's HTTP routes: a thin Starlette adapter (what Authlib's Flask integration does for Flask).

Each handler turns the request into the backend's `HttpRequest` (its URL built on the issuer, never on the Host
header), runs the provider's blocking use case in a worker thread, and sends its `HttpAnswer` back. The browser's
session comes from the HttpOnly session cookie (backend/identity/session_cookie.py).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sms2fa_app.api.forms import bounded_form
from sms2fa_app.api.oidc_consent import consent_page
from sms2fa_app.backend.i18n.locales import negotiate
from sms2fa_app.backend.identity.session_cookie import cookie_policy, session_digest
from sms2fa_app.backend.infra.client import ClientInfo, acting_client
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.oidc import provider as paths
from sms2fa_app.backend.oidc.provider import ConsentAsked
from sms2fa_app.backend.oidc.requests import Headers, HttpAnswer, HttpRequest
from sms2fa_app.backend.services import Services, get_services


def _unavailable() -> Response:
    """503 while the database or Redis does not answer (a new object each time: CORS headers are added to it)."""
    return PlainTextResponse("service unavailable\n", status_code=503, headers={"Retry-After": "5"})


# Discovery, JWKS, token, userinfo and revocation answer scripts of any origin: a public client (an app running in
# the browser) calls them with fetch. They read no cookie, so no credentials are allowed across origins.
CORS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


async def _plain(request: Request, issuer: str) -> HttpRequest | None:
    """The request for the backend, or None when its form is too big or malformed."""
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        read = await bounded_form(request)
        if read is None:
            return None
        form = read
    query = request.url.query
    return HttpRequest(
        method=request.method,
        url=issuer + request.url.path + (f"?{query}" if query else ""),
        headers=Headers(dict(request.headers)),
        query=tuple(request.query_params.multi_items()),
        form=tuple(form),
    )


def _response(answer: HttpAnswer, extra_headers: tuple[tuple[str, str], ...] = ()) -> Response:
    response = Response(answer.text, status_code=answer.status)
    if isinstance(answer.body, dict):
        response.headers["Content-Type"] = "application/json"
    for name, value in answer.headers + extra_headers:
        if name.lower() == "set-cookie":
            response.headers.append(name, value)
        else:
            response.headers[name] = value
    return response


def _endpoint(  # type: ignore[no-untyped-def]
    use_case: Callable[[Services, Request, HttpRequest], HttpAnswer | Response], *, cors: bool = False
):
    """A route running `use_case(services, request, plain_request)` in a worker thread (`cors`: for scripts of
    any origin, preflight included)."""

    async def handle(request: Request) -> Response:
        if cors and request.method == "OPTIONS":
            return Response(status_code=204, headers=PREFLIGHT)
        response = await answer(request)
        if cors:
            response.headers.update(CORS)
        return response

    async def answer(request: Request) -> Response:
        try:
            services = get_services()
            plain = await _plain(request, services.oidc.issuer)
            if plain is None:
                return PlainTextResponse("bad request\n", status_code=400)
            answer = await run_in_threadpool(use_case, services, request, plain)
        except ServiceUnavailable:
            return _unavailable()
        return answer if isinstance(answer, Response) else _response(answer)

    return handle


def _client_info(request: Request, trusted_hops: int) -> ClientInfo:
    """The browser, for its activity line: the address TRUSTED_PROXY_HOPS proxies back in X-Forwarded-For (the
    peer's own address without proxies), and its user agent."""
    address = request.client.host if request.client else ""
    if trusted_hops > 0:
        chain = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        address = chain[-trusted_hops] if len(chain) >= trusted_hops else address
    return ClientInfo(address, request.headers.get("user-agent", "")[:255])


def _authorize(services: Services, request: Request, plain: HttpRequest) -> HttpAnswer | Response:
    digest = session_digest(request.headers.get("cookie"), cookie_policy(services.settings))
    with acting_client(_client_info(request, services.settings.trusted_proxy_hops or 0)):
        user = services.oidc.server.users.from_cookie(digest)
        answer = services.oidc.authorize(plain, user)
    if not isinstance(answer, ConsentAsked):
        return answer
    stored = services.languages.choice(user.user_id) if user is not None else None  # the user's choice first
    locale = negotiate(stored=stored, accept_language=request.headers.get("accept-language"))
    return consent_page(answer, services.settings.app_name, locale)


def _end_session(services: Services, request: Request, plain: HttpRequest) -> Response:
    policy = cookie_policy(services.settings)
    digest = session_digest(request.headers.get("cookie"), policy)
    user = services.oidc.server.users.from_cookie(digest)
    outcome = services.oidc.end_session(plain, user, lambda: services.sessions.end(digest))
    cleared = (("Set-Cookie", policy.clear_cookie_header(policy.session_name)),) if outcome.ended else ()
    return _response(outcome.answer, cleared)


async def discovery(_request: Request) -> Response:
    """GET /.well-known/openid-configuration"""
    try:
        document = get_services().oidc.discovery()
    except ServiceUnavailable:
        return _unavailable()
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300", **CORS})


async def jwks(_request: Request) -> Response:
    """GET /oauth2/jwks: the public signing keys, read from the database each time (rotation shows at once)."""
    try:
        keys = await run_in_threadpool(lambda: get_services().oidc.jwks())
    except ServiceUnavailable:
        return _unavailable()
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=60", **CORS})


PREFLIGHTED = ["POST", "OPTIONS"]


def oidc_routes() -> list[Route]:
    """The provider's routes: discovery, JWKS, authorize, token, userinfo, revocation, end-session."""
    return [
        Route(paths.DISCOVERY_PATH, discovery, methods=["GET"]),
        Route(paths.JWKS_PATH, jwks, methods=["GET"]),
        Route(paths.AUTHORIZE_PATH, _endpoint(_authorize), methods=["GET", "POST"]),
        Route(paths.TOKEN_PATH, _endpoint(lambda s, _r, plain: s.oidc.token(plain), cors=True), methods=PREFLIGHTED),
        Route(
            paths.USERINFO_PATH,
            _endpoint(lambda s, _r, plain: s.oidc.userinfo(plain), cors=True),
            methods=["GET", *PREFLIGHTED],
        ),
        Route(paths.REVOKE_PATH, _endpoint(lambda s, _r, plain: s.oidc.revoke(plain), cors=True), methods=PREFLIGHTED),
        Route(paths.END_SESSION_PATH, _endpoint(_end_session), methods=["GET", "POST"]),
    ]
