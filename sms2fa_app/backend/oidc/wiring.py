"""Build the OpenID provider from settings (services.py calls this), and decide its issuer URL.

The issuer is APP_URL in production, where nginx sends /.well-known/openid-configuration and /oauth2/ to the
backend (deploy/nginx/sms2fa-locations.conf). In development the frontend (:3000) and the backend (:8000) are two
servers and only the backend serves these routes, so the issuer is the backend's http://localhost:8000; the login
page on :3000 shares the session cookie with it (cookies ignore ports).
"""

from __future__ import annotations

import redis

from sms2fa_app.backend.audit.activity import Activity
from sms2fa_app.backend.identity.sessions import SessionStore
from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.oidc.claims import EndUsers
from sms2fa_app.backend.oidc.clients import ClientRegistry
from sms2fa_app.backend.oidc.codes import AuthorizationCodes
from sms2fa_app.backend.oidc.consents import Consents
from sms2fa_app.backend.oidc.keys import SigningKeys
from sms2fa_app.backend.oidc.provider import OpenIdProvider
from sms2fa_app.backend.oidc.server import ID_TOKEN_SECONDS, OidcServer
from sms2fa_app.backend.oidc.tokens import TokenStore
from sms2fa_app.backend.vocabulary import EventKind
from sms2fa_app.config import Settings

DEVELOPMENT_ISSUER = "http://localhost:8000"
KEY_PUBLISHED_AFTER_RETIREMENT_SECONDS = 2 * ID_TOKEN_SECONDS  # longer than any ID token it signed lives


def issuer_for(settings: Settings) -> str:
    """APP_URL in production; the development backend otherwise (see the module's docstring)."""
    return settings.base_url.rstrip("/") if settings.is_production else DEVELOPMENT_ISSUER


def build_oidc(
    settings: Settings,
    clock: Clock,
    database: Database,
    redis_client: redis.Redis,
    sessions: SessionStore,
    issuer: str | None = None,
    activity: Activity | None = None,
) -> OpenIdProvider:
    """The provider over the app's database, Redis and login sessions (`issuer`: tests serve it elsewhere)."""
    server = OidcServer(
        issuer=(issuer or issuer_for(settings)).rstrip("/"),
        clock=clock,
        clients=ClientRegistry(database, clock),
        codes=AuthorizationCodes(redis_client, clock),
        tokens=TokenStore(database, clock),
        keys=SigningKeys(database, clock, settings.secret_key, KEY_PUBLISHED_AFTER_RETIREMENT_SECONDS),
        users=EndUsers(database, sessions),
    )
    login_url = settings.base_url.rstrip("/") + "/login"

    def record(user_id: int, kind: EventKind, detail: str) -> None:
        if activity is not None:
            with database.session() as tx:
                activity.record(tx, user_id, kind, detail)

    consents = Consents(database, clock)
    return OpenIdProvider(server, consents, login_url, settings.secret_key, record)
