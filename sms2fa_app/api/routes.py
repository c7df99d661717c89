"""The app's own HTTP routes, registered in one place (rx.App's api_transformer mounts Reflex beneath them)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from sms2fa_app.api import forward_auth, health, plivo
from sms2fa_app.api.oidc import oidc_routes
from sms2fa_app.api.session_cookie import COOKIE_ENDPOINT_PATH, cookie_exchange
from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH, VOICE_ANSWER_PATH


def api_routes() -> list[Route]:
    """Every route the app adds to Reflex's: Plivo's callbacks, health for load balancers, metrics, the
    exchange of the websocket's tickets for the browser's credential cookies, forward-auth for reverse proxies,
    and the OpenID provider's endpoints."""
    return [
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", health.prometheus, methods=["GET"]),
        Route(MESSAGE_STATUS_PATH, plivo.message_status, methods=["POST"]),
        Route(VOICE_ANSWER_PATH, plivo.voice_answer, methods=["POST"]),
        Route(COOKIE_ENDPOINT_PATH, cookie_exchange, methods=["POST", "OPTIONS"]),
        Route(forward_auth.VERIFY_PATH, forward_auth.verify, methods=forward_auth.ANY_METHOD),
        Route(forward_auth.FORWARD_PATH, forward_auth.forward, methods=forward_auth.ANY_METHOD),
        *oidc_routes(),
    ]


def api_app() -> Starlette:
    """A Starlette app serving `api_routes()`; Reflex mounts itself under it."""
    return Starlette(routes=api_routes())
