"""The app's HTTP routes (OpenID provider included) plus a static 200, for bench/oidc_bench.py to serve with one
granian worker: the token endpoint and its baseline answer from the same server, same process, same stack."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sms2fa_app.api.routes import api_routes

STATIC_PATH = "/bench/static"


async def static(_request: Request) -> Response:
    """The baseline: a constant 200 through the same Starlette app."""
    return PlainTextResponse("ok\n")


app = Starlette(routes=[*api_routes(), Route(STATIC_PATH, static, methods=["GET", "POST"])])
