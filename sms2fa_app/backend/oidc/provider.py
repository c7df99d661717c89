"""The OpenID provider's use cases, one per endpoint: what Authlib decides (server.py) plus what only the app knows
at the authorization endpoint: who is signed in, whether that sign-in is fresh and strong enough, and consent.

The authorization endpoint sends a browser without a signed-in session (or whose sign-in is too old for
`prompt=login`/`max_age`, or too weak for `acr_values`/a two-factor client) to the app's login page with
`?rd=<this authorization request>`; the login page comes back here once the session cookie is set.
`prompt=none` never shows a page: it answers `login_required` to the client instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from authlib.oidc.discovery import OpenIDProviderMetadata

from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.infra.crypto import digests_equal, keyed_digest
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.oidc.claims import ACR_TWO_FACTOR, ACR_VALUES, EndUser
from sms2fa_app.backend.oidc.consents import Consents
from sms2fa_app.backend.oidc.keys import ALGORITHM
from sms2fa_app.backend.oidc.requests import HttpAnswer, HttpRequest, PlainOAuth2Request
from sms2fa_app.backend.oidc.server import OidcServer
from sms2fa_app.backend.vocabulary import EventKind

log = logging.getLogger("sms2fa.oidc")

DISCOVERY_PATH = "/.well-known/openid-configuration"
PREFIX = "/oauth2"
AUTHORIZE_PATH = f"{PREFIX}/authorize"
TOKEN_PATH = f"{PREFIX}/token"
USERINFO_PATH = f"{PREFIX}/userinfo"
JWKS_PATH = f"{PREFIX}/jwks"
REVOKE_PATH = f"{PREFIX}/revoke"
END_SESSION_PATH = f"{PREFIX}/end-session"
FRESH_LOGIN_SECONDS = 300  # prompt=login: a sign-in at most this old counts once the browser comes back
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
LOGIN_MARK = "sms2fa_renew"  # the auth_time of a session sent to sign in again (see _sign_in_first)
_CONSENT_FIELDS = ("consent", "consent_token")


@dataclass(frozen=True)
class ConnectedApp:
    """An app holding live tokens of the user."""

    name: str
    client_id: str
    last_signed_in_at: float


@dataclass(frozen=True)
class ConsentAsked:
    """The consent page to show (the web layer words it): the client, the scopes it asks for, and the form that
    posts the answer back to the authorization endpoint with the request's own fields and the consent token."""

    client_name: str
    scopes: tuple[str, ...]
    action: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EndSessionOutcome:
    """The answer to an RP-initiated logout, and whether the login session ended (the cookie goes too)."""

    answer: HttpAnswer
    ended: bool


class OpenIdProvider:
    """The endpoints' use cases over Authlib's server."""

    def __init__(
        self,
        server: OidcServer,
        consents: Consents,
        login_url: str,
        secret_key: str,
        record: Callable[[int, EventKind, str], None] = lambda _user, _kind, _detail: None,
    ):
        """`record(user_id, kind, detail)` appends to the user's security activity."""
        self.server = server
        self._consents = consents
        self._record = record
        self._login_url = login_url
        self._secret = secret_key

    @property
    def issuer(self) -> str:
        return self.server.issuer

    def discovery(self) -> dict[str, object]:
        """OpenID Provider Metadata (Discovery 1.0), checked by Authlib before it is served."""
        issuer = self.issuer
        metadata = OpenIDProviderMetadata(
            issuer=issuer,
            authorization_endpoint=issuer + AUTHORIZE_PATH,
            token_endpoint=issuer + TOKEN_PATH,
            userinfo_endpoint=issuer + USERINFO_PATH,
            jwks_uri=issuer + JWKS_PATH,
            revocation_endpoint=issuer + REVOKE_PATH,
            end_session_endpoint=issuer + END_SESSION_PATH,
            scopes_supported=list(self.server.scopes_supported or []),
            response_types_supported=["code"],
            response_modes_supported=["query"],
            grant_types_supported=["authorization_code", "refresh_token"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=[ALGORITHM],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post", "none"],
            revocation_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post", "none"],
            code_challenge_methods_supported=["S256"],
            claims_supported=[
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "amr",
                "email",
                "email_verified",
            ],
            acr_values_supported=list(ACR_VALUES),
            prompt_values_supported=["none", "login", "consent"],
            authorization_response_iss_parameter_supported=True,  # RFC 9207: every redirect to a client names us
        )
        metadata.validate()
        return dict(metadata)

    def jwks(self) -> dict[str, object]:
        return self.server.keys.jwks()

    def token(self, request: HttpRequest) -> HttpAnswer:
        answer = self.server.create_token_response(request)
        return _no_store(answer)

    def userinfo(self, request: HttpRequest) -> HttpAnswer:
        return _no_store(self.server.create_endpoint_response("userinfo", request))

    def revoke(self, request: HttpRequest) -> HttpAnswer:
        return _no_store(self.server.create_endpoint_response("revocation", request))

    def end_session(
        self, request: HttpRequest, user: EndUser | None, end_login_session: Callable[[], None]
    ) -> EndSessionOutcome:
        """RP-initiated logout: `end_login_session()` runs only for a request carrying a valid id_token_hint issued
        to the browser's own user (someone else's ID token in a link must not sign this browser out)."""
        oauth_request = PlainOAuth2Request(request)
        ended: list[bool] = []

        def end(claims: dict[str, object]) -> None:
            if user is not None and claims.get("sub") == str(user.user_id):
                end_login_session()
                ended.append(True)

        oauth_request.end_login_session = end  # type: ignore[attr-defined]
        try:
            validated = self.server.validate_endpoint_request("end_session", oauth_request)
        except OAuth2Error as error:
            return EndSessionOutcome(self.server.handle_error_response(oauth_request, error), False)
        answer = self.server.create_endpoint_response("end_session", validated)
        if answer is None:  # no registered post_logout_redirect_uri: back to the app
            answer = HttpAnswer(302, "", (("Location", self._login_url),))
        return EndSessionOutcome(answer, bool(ended))

    def authorize(self, request: HttpRequest, user: EndUser | None) -> HttpAnswer | ConsentAsked:
        """The authorization endpoint: a code for the client, the login page, the consent page, or an error."""
        oauth_request = PlainOAuth2Request(request)
        client_id = oauth_request.payload.client_id or ""
        try:
            grant = self.server.get_consent_grant(oauth_request, end_user=user)
            detour = self._sign_in_first(oauth_request, grant.redirect_uri, user)
            if detour is not None:
                return detour
            assert user is not None
            consent = self._consent(oauth_request, grant.request.client, user)
            if consent is not None:
                return consent
        except OAuth2Error as error:
            error.state = oauth_request.payload.state
            label = client_id if self.server.query_client(client_id) else "unknown"
            metrics.count_oidc_authorization(label, error.error or "error")
            log_event(log, logging.INFO, "oidc_authorize_refused", client=label, error=error.error)
            return _no_store(self._naming_issuer(self.server.handle_error_response(oauth_request, error)))
        answer = self._naming_issuer(
            self.server.create_authorization_response(oauth_request, grant_user=user, grant=grant)
        )
        issued = _has_code(answer)
        metrics.count_oidc_authorization(client_id, "code" if issued else "error")
        if issued:
            self._record(user.user_id, EventKind.SIGNED_IN_TO_APP, grant.request.client.name)
        return answer

    def _naming_issuer(self, answer: HttpAnswer) -> HttpAnswer:
        """A redirect to the client with RFC 9207's `iss`, so a client talking to several providers can tell which
        one answered (mix-up attacks). Authlib's IssuerParameter cannot edit our immutable answers."""
        if answer.status != 302 or answer.location is None:
            return answer
        headers = tuple(
            (name, add_params_to_uri(value, {"iss": self.issuer}) if name.lower() == "location" else value)
            for name, value in answer.headers
        )
        return HttpAnswer(answer.status, answer.body, headers)

    def connected_apps(self, user_id: int) -> list[ConnectedApp]:
        """The clients holding live tokens of the user, by name (settings' "Connected apps")."""
        apps = self.server.tokens.connected_apps(user_id)
        return [
            ConnectedApp(self.server.clients.name_of(app.client_id), app.client_id, app.last_issued_at) for app in apps
        ]

    def disconnect(self, user_id: int, client_id: str) -> bool:
        """Revoke everything a client holds for the user and forget the consent; False when it held nothing."""
        revoked = self.server.tokens.revoke_for_client(user_id, client_id)
        self._consents.forget(user_id, client_id)
        if revoked:
            self._record(user_id, EventKind.APP_DISCONNECTED, self.server.clients.name_of(client_id))
        return revoked > 0

    def _sign_in_first(self, request: PlainOAuth2Request, redirect_uri: str, user: EndUser | None) -> HttpAnswer | None:
        """The login page when the session cannot answer this request as it is; None when it can.

        A browser sent to sign in again while its session lives carries `LOGIN_MARK` (its sign-in's time) back
        here: if that sign-in was not renewed meanwhile (a login page that forwards a signed-in browser at once),
        the client gets `login_required` instead of another round. The mark can only turn a detour into that error,
        so a forged or removed one gains nothing."""
        data = request.payload.data
        prompts = (data.get("prompt") or "").split()
        max_age = _max_age(data.get("max_age"), redirect_uri)
        if max_age == 0:  # no sign-in is ever 0 seconds old: OpenID Connect Core §3.1.2.1 reads it as prompt=login
            prompts, max_age = [*prompts, "login"], None
        client = request.client
        wants_two_factor = ACR_TWO_FACTOR in (data.get("acr_values") or "").split() or client.require_two_factor
        now = self.server.clock.now()
        fresh_needed = "login" in prompts or (
            user is not None and max_age is not None and now - user.authenticated_at > max_age
        )
        weak = user is not None and wants_two_factor and not user.two_factor
        if user is None:
            if "none" in prompts:
                raise LoginRequiredError(redirect_uri=redirect_uri)
            return self._to_login(request, fresh=fresh_needed, max_age=max_age, mark=None)
        signed_in_at = repr(user.authenticated_at)
        if data.get(LOGIN_MARK) == signed_in_at:  # sent to sign in again, and came back without doing it
            raise LoginRequiredError(redirect_uri=redirect_uri)
        if not fresh_needed and not weak:
            return None
        if "none" in prompts:
            raise LoginRequiredError(redirect_uri=redirect_uri)
        if weak and not fresh_needed and not user.two_factor_enabled:
            raise AccessDeniedError(
                "this app needs two-factor authentication: turn it on in settings", redirect_uri=redirect_uri
            )
        return self._to_login(request, fresh=True, max_age=max_age, mark=signed_in_at)

    def _to_login(
        self, request: PlainOAuth2Request, *, fresh: bool, max_age: int | None, mark: str | None
    ) -> HttpAnswer:
        """The login page, with `rd` bringing the browser back to this request (a fresh sign-in: `max_age` on the way
        back instead of `prompt=login`, which would send it round again; `prompt=login` on the login page's address,
        which otherwise forwards a signed-in browser straight back to `rd`)."""
        dropped = ("prompt", "max_age", LOGIN_MARK, *_CONSENT_FIELDS)
        params = [(name, value) for name, value in request.http.query + request.http.form if name not in dropped]
        if fresh:
            limit = FRESH_LOGIN_SECONDS if max_age is None else min(max_age, FRESH_LOGIN_SECONDS)
            params.append(("max_age", str(limit)))
        if mark is not None:
            params.append((LOGIN_MARK, mark))
        return_to = f"{self.issuer}{AUTHORIZE_PATH}?{urlencode(params)}"
        login = {"rd": return_to, **({"prompt": "login"} if fresh else {})}  # the form even for a signed-in browser
        return HttpAnswer(302, "", (("Location", f"{self._login_url}?{urlencode(login)}"), *NO_STORE))

    def _consent_token(self, user: EndUser, client_id: str, scope: str) -> str:
        return keyed_digest(self._secret, "oidc-consent", str(user.session_id), client_id, scope)

    def _consent(self, request: PlainOAuth2Request, client: object, user: EndUser) -> ConsentAsked | None:
        """None when the client may proceed (first-party, or consented before for these scopes); else the page, or
        the recorded answer of a posted one."""
        client_id = request.payload.client_id
        scope = request.scope or ""
        prompts = (request.payload.data.get("prompt") or "").split()
        if getattr(client, "first_party", False):
            return None
        if "consent" not in prompts and self._consents.covers(user.user_id, client_id, scope):
            return None
        if "none" in prompts:  # no page may show: the client hears it needs the user's consent
            raise ConsentRequiredError(redirect_uri=request.payload.redirect_uri)
        form = request.form
        posted = request.method == "POST" and form.get("consent") in ("allow", "deny")
        token = self._consent_token(user, client_id, scope)
        if posted and digests_equal(form.get("consent_token", ""), token):
            if form["consent"] == "deny":
                raise AccessDeniedError(redirect_uri=request.payload.redirect_uri)
            self._consents.grant(user.user_id, client_id, scope)
            return None
        return self._consent_page(request, getattr(client, "name", client_id), scope, token)

    def _consent_page(self, request: PlainOAuth2Request, client_name: str, scope: str, token: str) -> ConsentAsked:
        fields = tuple(
            (name, value) for name, value in request.http.query + request.http.form if name not in _CONSENT_FIELDS
        )
        return ConsentAsked(
            client_name=client_name,
            scopes=tuple(scope.split()),
            action=self.issuer + AUTHORIZE_PATH,
            fields=(*fields, ("consent_token", token)),
        )


def _max_age(value: str | None, redirect_uri: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 9:
        raise InvalidRequestError("'max_age' must be a number of seconds", redirect_uri=redirect_uri)
    return int(value)


def _has_code(answer: HttpAnswer) -> bool:
    location = answer.location or ""
    return answer.status == 302 and "code=" in urlsplit(location).query


def _no_store(answer: HttpAnswer) -> HttpAnswer:
    names = {name.lower() for name, _ in answer.headers}
    extra = tuple(pair for pair in NO_STORE if pair[0].lower() not in names)
    return HttpAnswer(answer.status, answer.body, answer.headers + extra)
