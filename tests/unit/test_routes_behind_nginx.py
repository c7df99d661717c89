"""Every HTTP route the app serves, read from the app object itself, is either forwarded to the workers by the
shipped nginx configuration or kept from the public on purpose, with the reason written down here; and every page
is served by nginx from the build. (Issue 20: the workers served Plivo's callbacks, nginx answered them 404.)
docs/routes.md is the table of the same routes for people."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from scripts.stack import NGINX_DIR, PROJECT_ROOT
from sms2fa_app.api.forms import MAX_BODY_BYTES
from sms2fa_app.api.session_cookie import COOKIE_ENDPOINT_PATH
from sms2fa_app.backend.delivery.callbacks import MESSAGE_STATUS_PATH, VOICE_ANSWER_PATH
from tests.conftest import TEST_SECRET
from tests.support.nginx_config import Location, location_for, locations

UPSTREAM = "sms2fa_backend"
ROUTES_DOC = PROJECT_ROOT / "docs" / "routes.md"
# Backend routes nginx must not forward, each with the reason. Any other backend route must reach the workers.
NOT_EXPOSED = {
    "/metrics": "scraped from each worker's own port with METRICS_TOKEN; nginx answers 404",
    "/_health": "Reflex's own health check; load balancers use /healthz and /readyz, which nginx forwards",
    "/api/auth/verify": "forward-auth for nginx: the protected app's server asks the workers in an internal location",
    "/api/auth/forward": "forward-auth for Caddy and Traefik: those proxies ask a worker directly",
}
CALLBACKS = (MESSAGE_STATUS_PATH, VOICE_ANSWER_PATH)
NGINX_BODY_LIMIT_BYTES = 64 * 1024  # Plivo's callbacks are small form posts
pytestmark = pytest.mark.slow  # the whole app is imported in a subprocess (make test-fast skips this file)

# Run in a child process: building rx.App registers Reflex's global state tree, which the unit tests' directly
# constructed states must not share.
_ENUMERATE = """
import json
from starlette.routing import Mount, Route
from sms2fa_app.sms2fa_app import app

def walk(routes):
    for route in routes:
        if isinstance(route, Mount) and route.path:
            yield {"path": route.path + "/", "kind": "mount"}
        elif isinstance(route, Mount):
            yield from walk(route.routes)
        else:
            yield {"path": getattr(route, "path", None), "kind": type(route).__name__}

ours = next(t for t in app.api_transformer if hasattr(t, 'routes'))  # our Starlette app (then socket_path's)
served = [*walk(ours.routes), *walk(app._api.routes)]
pages = ["/" if route == "index" else "/" + route for route in app._unevaluated_pages]
print(json.dumps({"backend": served, "pages": pages}))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's backend routes (Reflex's and ours, from the app object) and its page routes, in development
    (which adds the dev outbox page to production's)."""
    data = tmp_path_factory.mktemp("routes") / "data"
    environment = {**os.environ, "APP_ENV": "development", "DATA_DIR": str(data), "SECRET_KEY": TEST_SECRET}
    listed = subprocess.run(
        [sys.executable, "-c", _ENUMERATE],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(listed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def shipped() -> list[Location]:
    return locations(NGINX_DIR / "sms2fa-locations.conf")


def backend_paths(served: dict[str, Any]) -> list[str]:
    routes = served["backend"]
    assert all(route["kind"] in ("Route", "mount") and route["path"] for route in routes), routes
    return sorted({route["path"] for route in routes})


def test_the_app_serves_the_routes_this_test_knows(served: dict[str, Any]) -> None:
    """The enumeration sees the app's routes (a Reflex upgrade that hid them would make the checks below vacuous)."""
    paths = backend_paths(served)
    assert {"/_event/", "/ping", "/healthz", "/readyz", "/metrics", *CALLBACKS} <= set(paths), paths
    assert set(NOT_EXPOSED) <= set(paths), "a route kept from the public no longer exists: drop its reason"
    assert {"/", "/login", "/2fa-challenge", "/dev/outbox"} <= set(served["pages"]), served["pages"]


def test_every_backend_route_reaches_the_workers_through_nginx_unless_deliberately_hidden(
    served: dict[str, Any], shipped: list[Location]
) -> None:
    for path in backend_paths(served):
        location = location_for(shipped, path)
        forwarded = location is not None and location.proxies_to(UPSTREAM)
        if path in NOT_EXPOSED:
            assert not forwarded, f"{path} is kept away ({NOT_EXPOSED[path]}), but nginx's {location} forwards it"
        else:
            assert forwarded, f"the workers serve {path}, but nginx's {location} does not forward it to {UPSTREAM}"


def test_every_page_is_served_by_nginx_from_the_build(served: dict[str, Any], shipped: list[Location]) -> None:
    for page in served["pages"]:
        location = location_for(shipped, page)
        assert location is not None and location.directive("try_files") and not location.proxies_to(UPSTREAM), (
            f"page {page} is answered by nginx's {location}, not from the build"
        )


def test_plivo_callbacks_get_a_small_body_limit_at_nginx(shipped: list[Location]) -> None:
    """Plivo's callbacks are small form posts: nginx refuses anything past 64k before a worker reads it; the
    app's own limit (MAX_BODY_BYTES) is tighter and answers the rest."""
    for path in CALLBACKS:
        location = location_for(shipped, path)
        assert location is not None and location.directive("client_max_body_size") == "64k", f"{path}: {location}"
    assert MAX_BODY_BYTES <= NGINX_BODY_LIMIT_BYTES


def test_docs_routes_names_every_route(served: dict[str, Any]) -> None:
    table = ROUTES_DOC.read_text()
    missing = [path for path in [*backend_paths(served), *served["pages"]] if f"`{path}`" not in table]
    assert not missing, f"{ROUTES_DOC.name} does not list {missing}"


def test_nginx_forwards_only_the_plivo_callbacks_and_only_as_posts(shipped: list[Location]) -> None:
    """Review round 2, L3: Plivo posts to two paths (answer_method and the report's method are POST): nginx forwards
    those two, refuses any other method on them, and answers every other /api/ path itself. The pages' cookie
    exchange (issue 22) is the one other /api/ path, POST only too."""
    for path in (*CALLBACKS, COOKIE_ENDPOINT_PATH):
        location = location_for(shipped, path)
        assert location is not None and location.proxies_to(UPSTREAM), f"{path}: {location}"
        assert re.search(r"limit_except\s+POST\s*\{\s*deny\s+all;\s*\}", location.body), f"{path}: {location}"
    others = ("/api/", "/api/other", "/api/plivo/", "/api/plivo/message-status/x", "/api/plivo/voice-answerx")
    for path in (*others, "/api/session/cookie/x", "/api/session/"):
        location = location_for(shipped, path)
        assert location is None or not location.proxies_to(UPSTREAM), f"{path} is forwarded by {location}"
