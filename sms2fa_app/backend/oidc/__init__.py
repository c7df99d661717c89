"""sms2fa as an OpenID Connect provider (issue 25): other apps delegate their sign-in, second factor included.

Authlib holds the protocol (grants, PKCE, ID tokens, revocation, userinfo, RP-initiated logout); these modules hold
what it leaves to the server: the client registry, the signing keys, codes in Redis, tokens in SQL, and the link to
the app's own login sessions. Framework-free: api/oidc.py adapts Starlette requests to `HttpRequest`.
"""
