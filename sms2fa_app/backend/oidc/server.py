"""Authlib's authorization server, completed with the storage it leaves to the server (grants, extensions and
endpoints from authlib.oauth2 and authlib.oidc.core); no protocol rule is written here that Authlib has.

What is ours: codes (codes.py) and tokens (tokens.py) and who may hold them (claims.py); PKCE limited to S256 and
required of every client from the authorization request on; refresh tokens only with `offline_access`, rotated.
Authlib's Flask integration is the model: `create_oauth2_request` wraps requests, `handle_response` builds answers.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request, ResourceProtector, scope_to_list
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core import OpenIDCode, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import extract_compact

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.oidc.claims import EndUser, EndUsers, user_info
from sms2fa_app.backend.oidc.clients import SCOPES, Client, ClientRegistry
from sms2fa_app.backend.oidc.codes import CODE_SECONDS, AuthorizationCode, AuthorizationCodes
from sms2fa_app.backend.oidc.keys import ALGORITHM, SigningKeys
from sms2fa_app.backend.oidc.requests import HttpAnswer, HttpRequest, PlainOAuth2Request
from sms2fa_app.backend.oidc.tokens import IssuedToken, TokenStore

log = logging.getLogger("sms2fa.oidc")
# Authlib logs what it issues at DEBUG ("Issue token %r to %r": the access, refresh and ID tokens): never let that
# level through, whatever the root logger says (logs never carry a code, a secret or a token).
AUTHLIB_LOG_LEVEL = logging.INFO
logging.getLogger("authlib").setLevel(AUTHLIB_LOG_LEVEL)

ACCESS_TOKEN_SECONDS = 300
ID_TOKEN_SECONDS = 300
_current_request: contextvars.ContextVar[OAuth2Request] = contextvars.ContextVar("oidc_request")


class S256Only(CodeChallenge):
    """PKCE with S256 only (no `plain`), required of every client at the authorization request already: a stolen
    code is useless without the verifier, even with a leaked client secret."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        super().validate_code_challenge(grant, redirect_uri)
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256", redirect_uri=redirect_uri)
        if not data.get("code_challenge"):  # every client, confidential ones too (OAuth 2.1, RFC 9700 §2.1.1)
            raise InvalidRequestError("a PKCE 'code_challenge' is required", redirect_uri=redirect_uri)


class IdTokens(OpenIDCode):
    """The ID token: RS256 with the current signing key, our issuer, the code's nonce, auth_time, acr and amr."""

    def __init__(self, server: OidcServer):
        super().__init__(require_nonce=False)
        self._server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self._server.codes.nonce_seen(request.payload.client_id, nonce)

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self._server.keys.signing_key()

    def get_client_algorithm(self, client: Client) -> str:
        return ALGORITHM

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self._server.keys.signing_key().kid or ""}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self._server.clock.now())
        return {"iss": self._server.issuer, "aud": client.client_id, "iat": now, "exp": now + ID_TOKEN_SECONDS}

    def generate_user_info(self, user: EndUser, scope: str) -> Any:
        return user_info(user, scope)


class CodeGrant(AuthorizationCodeGrant):
    """The authorization code grant over our code store; a reused code revokes the tokens it issued."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    server: OidcServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: EndUser = request.user
        data = request.payload.data
        record = AuthorizationCode(
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            user_id=user.user_id,
            session_id=user.session_id,
            nonce=data.get("nonce") or "",
            auth_time=user.auth_time,
            amr=user.amr,
            acr=user.acr,
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            expires_at=self.server.clock.now() + CODE_SECONDS,
        )
        self.server.codes.save(code, record)

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        claimed = self.server.codes.claim(code, client.client_id)
        if claimed.reused_family:
            revoked = self.server.tokens.revoke_family(claimed.reused_family)
            log_event(log, logging.WARNING, "oidc_code_reused", client=client.client_id, revoked=revoked)
        return claimed.code

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing left to do: claiming the code deleted it."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> EndUser | None:
        self.request.family = authorization_code.family
        return self.server.users.for_grant(authorization_code.user_id, authorization_code.session_id)


class RefreshGrant(RefreshTokenGrant):
    """Refresh with rotation: each refresh token works once; presenting it again revokes its family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: OidcServer

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        claimed = self.server.tokens.claim_refresh(refresh_token, self.request.client.client_id)
        if claimed.reused_family:
            revoked = self.server.tokens.revoke_family(claimed.reused_family)
            log_event(log, logging.WARNING, "oidc_refresh_token_reused", revoked=revoked)
        token = claimed.token
        if token is None or self.server.users.for_grant(token.user_id, token.session_id) is None:
            return None  # its login session ended: invalid_grant, like a revoked token
        return token

    def authenticate_user(self, refresh_token: IssuedToken) -> EndUser | None:
        self.request.family = refresh_token.family
        return self.server.users.for_grant(refresh_token.user_id, refresh_token.session_id)

    def revoke_old_credential(self, refresh_token: IssuedToken) -> None:
        """Nothing left to do: claiming the refresh token marked it used."""


class Revocation(RevocationEndpoint):
    """RFC 7009 for every client kind; revoking a refresh token revokes its whole family."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    server: OidcServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        tokens = self.server.tokens
        if token_type_hint == "refresh_token":
            return tokens.by_refresh_token(token_string) or tokens.by_access_token(token_string)
        return tokens.by_access_token(token_string) or tokens.by_refresh_token(token_string)

    def revoke_token(self, token: IssuedToken, request: OAuth2Request) -> None:
        self.server.tokens.revoke_family(token.family)


class AccessTokens(BearerTokenValidator):
    """Bearer tokens for the userinfo endpoint: live, unrevoked, and their login session still signed in."""

    def __init__(self, server: OidcServer):
        super().__init__()
        self._server = server

    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        token = self._server.tokens.by_access_token(token_string)
        if token is None:
            return None
        user = self._server.users.for_grant(token.user_id, token.session_id)
        client = self._server.query_client(token.client_id)
        if user is None or client is None:
            return None
        return IssuedToken(**{**token.__dict__, "user": user, "client": client})


class _RequestProtector(ResourceProtector):
    """Authlib's UserInfoEndpoint asks its protector for the token of "the current request" (a Flask global):
    here the request the endpoint is serving, held in a context variable."""

    def acquire_token(self, scopes: str | list[str]) -> IssuedToken:
        return self.validate_request(
            scope_to_list(scopes) if isinstance(scopes, str) else scopes, _current_request.get()
        )


class UserInfo(UserInfoEndpoint):
    server: OidcServer

    def __call__(self, request: OAuth2Request) -> Any:
        marker = _current_request.set(request)
        try:
            return super().__call__(request)
        finally:
            _current_request.reset(marker)

    def get_issuer(self) -> str:
        return self.server.issuer

    def generate_user_info(self, user: EndUser, scope: str) -> Any:
        return user_info(user, scope)

    def resolve_private_key(self) -> RSAKey:
        return self.server.keys.signing_key()


class EndSession(EndSessionEndpoint):
    """RP-initiated logout: with a valid id_token_hint, the provider ends the browser's login session if the token
    names its user (and with it every token issued under it); without one, nothing ends (a link must not sign
    anyone out)."""

    server: OidcServer

    def get_server_jwks(self) -> KeySet:
        return self.server.keys.public_keys()

    def _validate_id_token_hint(self, id_token_hint: str) -> dict | None:  # type: ignore[override]
        """Authlib's check (any of our published keys, expiry ignored per RP-Initiated Logout §2), except that a
        hint signed by a key rotation already erased counts as no hint: the RP is logging out, so it gets the
        ordinary answer (back to the app, nothing ended) rather than an error page."""
        try:
            kid = extract_compact(id_token_hint.encode()).protected.get("kid")
        except JoseError:
            kid = None  # not a JWS at all: Authlib's own error
        if kid is not None and kid not in {key.kid for key in self.get_server_jwks().keys}:
            return None
        return super()._validate_id_token_hint(id_token_hint)

    def end_session(self, end_session_request: Any) -> None:
        if end_session_request.id_token_claims is None:
            return
        end = getattr(end_session_request.request, "end_login_session", None)
        if end is not None:
            end(end_session_request.id_token_claims)


class OidcServer(AuthorizationServer):
    """The authorization server over our stores; answers are `HttpAnswer`s."""

    def __init__(
        self,
        issuer: str,
        clock: Clock,
        clients: ClientRegistry,
        codes: AuthorizationCodes,
        tokens: TokenStore,
        keys: SigningKeys,
        users: EndUsers,
    ):
        super().__init__(scopes_supported=list(SCOPES))
        self.issuer = issuer
        self.clock = clock
        self.clients = clients
        self.codes = codes
        self.tokens = tokens
        self.keys = keys
        self.users = users
        bearer = BearerTokenGenerator(
            access_token_generator=lambda **_: generate_token(43),
            refresh_token_generator=lambda **_: generate_token(48),
            expires_generator=lambda _client, _grant_type: ACCESS_TOKEN_SECONDS,
        )
        self.register_token_generator("default", _offline_only(bearer))
        self.register_grant(CodeGrant, [S256Only(required=True), IdTokens(self)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation(self))
        protector = _RequestProtector()
        protector.register_token_validator(AccessTokens(self))
        self.register_endpoint(UserInfo(self, resource_protector=protector))
        self.register_endpoint(EndSession(self))

    def query_client(self, client_id: str) -> Client | None:
        return self.clients.find(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Store the tokens, then revoke them at once if their family was revoked while they were being issued (a
        replayed code or refresh token that landed between the claim and this save found nothing to revoke)."""
        user: EndUser = request.user
        family = request.family
        self.tokens.save(
            token, family=family, client_id=request.client.client_id, user_id=user.user_id, session_id=user.session_id
        )
        if self.codes.family_revoked(family) or self.tokens.family_revoked(family):
            revoked = self.tokens.revoke_family(family)
            log_event(log, logging.WARNING, "oidc_family_revoked_while_issued", revoked=revoked)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        assert isinstance(request, HttpRequest)
        return PlainOAuth2Request(request)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON requests")

    def handle_response(self, status: int, body: Any, headers: Any) -> HttpAnswer:
        return HttpAnswer(status, body if isinstance(body, dict | str) else str(body), tuple(headers or ()))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals: the provider records what it needs itself."""


def _offline_only(bearer: BearerTokenGenerator) -> Callable[..., dict[str, Any]]:
    """A refresh token only for a grant whose scope holds `offline_access` (OpenID Connect Core §11)."""

    def generate(grant_type: str, client: Client, user: Any = None, scope: str | None = None, **options: Any):
        offline = "offline_access" in scope_to_list(scope or "")
        options["include_refresh_token"] = bool(options.get("include_refresh_token", True)) and offline
        return bearer(grant_type, client, user, scope, **options)

    return generate
