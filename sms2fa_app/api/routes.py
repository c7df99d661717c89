"""The app's own HTTP routes, registered in one place (rx.App's api_transformer mounts Reflex beneath them)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from sms2fa_app.api import health, plivo
from sms2fa_app.api.oidc import oidc_routes
from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH, VOICE_ANSWER_PATH


def api_routes() -> list[Route]:
    """Every route the app adds to Reflex's: Plivo's callbacks, health for load balancers, metrics, and the
    OpenID provider's endpoints."""
    return [
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", health.prometheus, methods=["GET"]),
        Route(MESSAGE_STATUS_PATH, plivo.message_status, methods=["POST"]),
        Route(VOICE_ANSWER_PATH, plivo.voice_answer, methods=["POST"]),
        *oidc_routes(),
    ]


def api_app() -> Starlette:
    """A Starlette app serving `api_routes()`; Reflex mounts itself under it."""
    return Starlette(routes=api_routes())
