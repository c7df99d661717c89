"""Operations' HTTP routes: /healthz and /readyz for load balancers, /metrics for Prometheus.

/metrics answers only with "Authorization: Bearer <METRICS_TOKEN>" (404 while no token is set), and the shipped
nginx configuration never forwards it: scrape each backend worker directly.
"""

from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.health import readiness
from sms2fa_app.backend.services import get_services
from sms2fa_app.config import get_settings

NO_STORE = {"Cache-Control": "no-store"}


async def healthz(_request: Request) -> Response:
    """200 while the process serves requests; checks nothing else."""
    return PlainTextResponse("ok\n", headers=NO_STORE)


async def readyz(_request: Request) -> Response:
    """200 when the database and Redis answer, 503 (naming which does not) otherwise."""
    try:
        services = get_services()
        checks = await asyncio.to_thread(readiness, services.database, services.redis)
    except Exception:  # services could not even be built: not ready, and never a 500
        checks = {"database": "unknown", "redis": "unknown"}
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(checks, status_code=200 if ready else 503, headers=NO_STORE)


async def prometheus(request: Request) -> Response:
    """The metrics, for a caller holding METRICS_TOKEN."""
    token = get_settings().metrics_token
    if not token:
        return PlainTextResponse("not found\n", status_code=404)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return PlainTextResponse("unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer"})
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type, headers=NO_STORE)
