"""Plivo's requests to the app: delivery reports and voice answers.

Each handler reads the request (bounded), hands query, headers and form to one backend operation
(backend/delivery/inbound.py, which checks the signature, freshness and nonce) and turns its answer into
HTTP: 403 for anything refused, 200 otherwise; 503 when Redis is down (Plivo retries later).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sms2fa_app.api.forms import bounded_form
from sms2fa_app.backend.delivery.inbound import Inbound, PlivoInbound
from sms2fa_app.backend.infra.errors import ServiceUnavailable
from sms2fa_app.backend.services import get_services

XML = "application/xml"
Answer = TypeVar("Answer")


async def _form(request: Request) -> dict[str, str] | None:
    """The POSTed form as a dict of strings, or None when it is too big or not a form."""
    fields = await bounded_form(request)
    return None if fields is None else dict(fields)


async def _handled(
    request: Request, operation: Callable[[PlivoInbound], Callable[[str, Mapping[str, str], dict[str, str]], Answer]]
) -> Answer | Response:
    """The backend operation's answer to the request (run in a worker thread), or the response when it cannot
    run: 403 for a body that is no bounded form, 404 without Plivo, 503 when Redis is down."""
    params = await _form(request)
    try:
        inbound = get_services().inbound
        if inbound is None or params is None:
            return Response(status_code=403 if params is None else 404)
        return await run_in_threadpool(operation(inbound), request.url.query, request.headers, params)
    except ServiceUnavailable:
        return Response(status_code=503)


async def message_status(request: Request) -> Response:
    """POST /api/plivo/message-status?t=...: a delivery report."""
    outcome = await _handled(request, lambda inbound: inbound.message_status)
    if isinstance(outcome, Response):
        return outcome
    return Response(status_code=403 if outcome is Inbound.REFUSED else 200)


async def voice_answer(request: Request) -> Response:
    """POST /api/plivo/voice-answer?call=...&t=...: what the answered call says."""
    answer = await _handled(request, lambda inbound: inbound.voice_answer)
    if isinstance(answer, Response):
        return answer
    if answer.outcome is Inbound.REFUSED:
        return Response(status_code=403)
    return Response(answer.xml, media_type=XML, headers={"Cache-Control": "no-store"})
