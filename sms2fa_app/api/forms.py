"""Reading a POSTed form with bounds: the app's HTTP routes take small forms only (Plivo's callbacks, OpenID)."""

from __future__ import annotations

from starlette.requests import Request

MAX_BODY_BYTES = 16 * 1024
MAX_FIELDS = 64


async def bounded_form(request: Request) -> list[tuple[str, str]] | None:
    """The form's fields in order (repeats kept), or None when it is too big or not a form."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return None
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception:  # malformed body: refuse it
        return None
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
