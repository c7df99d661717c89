"""Forward-auth: sms2fa as the login in front of other apps behind nginx `auth_request`, Caddy `forward_auth` or
Traefik ForwardAuth (docs/forward-auth.md). Framework-free: the HTTP endpoints are sms2fa_app/api/forward_auth.py.

- rules.py: which policy FORWARD_AUTH_RULES sets for a host and path (first match wins, default deny);
- targets.py: where the login may send the browser back to (`rd`), and the login URL carrying it;
- facts.py: the session facts a verify needs, cached in Redis by token digest, forgotten when a session ends;
- verifier.py: cookie + original request in, Allow / LogIn / Forbidden out.
"""
