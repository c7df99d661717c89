"""Operating the OpenID provider: register clients (the CLI), list them, disable one or give it a new secret (the
admin console), rotate the ID-token signing keys (the CLI). Every change is an audit row (admin_id empty: the CLI).

    python -m sms2fa_app.backend.admin.oidc_clients register --name NAME --redirect-uris "URI URI" \\
        [--public] [--two-factor] [--first-party]
    python -m sms2fa_app.backend.admin.oidc_clients list
    python -m sms2fa_app.backend.admin.oidc_clients rotate-keys

`register` prints `client_id=...` and, for a confidential client, `client_secret=...`: the secret is shown this
once and stored hashed (`make oidc-client`, `make oidc-rotate-keys`).
"""

from __future__ import annotations

import argparse
import logging
import sys

from sms2fa_app.backend.admin.audit import Action, record_action
from sms2fa_app.backend.admin.cli import configured
from sms2fa_app.backend.infra.clock import Clock, SystemClock
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.oidc.clients import ClientError, ClientRegistry, ClientSummary, RegisteredClient
from sms2fa_app.backend.oidc.keys import SigningKeys
from sms2fa_app.backend.oidc.wiring import KEY_PUBLISHED_AFTER_RETIREMENT_SECONDS

log = logging.getLogger("sms2fa.admin")


class OidcClientAdmin:
    """The operator's and the admins' changes to OpenID clients and keys, audited."""

    def __init__(self, database: Database, clock: Clock, registry: ClientRegistry, keys: SigningKeys):
        self._db = database
        self._clock = clock
        self.registry = registry
        self._keys = keys

    def _audit(self, admin_id: int | None, action: Action, detail: str) -> None:
        with self._db.session() as tx:
            record_action(tx, self._clock.now(), admin_id, None, action, detail)
        log_event(log, logging.INFO, "admin_" + action.value, admin=admin_id, client=detail[:64])

    def register(
        self,
        name: str,
        redirect_uris: list[str],
        *,
        public: bool = False,
        two_factor: bool = False,
        first_party: bool = False,
        admin_id: int | None = None,
    ) -> RegisteredClient:
        """A new client (raises ClientError for a bad name or URI); the secret is in the answer only."""
        made = self.registry.register(
            name, redirect_uris, public=public, require_two_factor=two_factor, first_party=first_party
        )
        self._audit(admin_id, Action.OIDC_REGISTER_CLIENT, made.client_id)
        return made

    def clients(self) -> list[ClientSummary]:
        return self.registry.list_all()

    def set_disabled(self, admin_id: int | None, client_id: str, disabled: bool) -> bool:
        """Disable a client (its codes and tokens stop working at once) or enable it again."""
        if not self.registry.set_disabled(client_id, disabled):
            return False
        self._audit(admin_id, Action.OIDC_DISABLE_CLIENT if disabled else Action.OIDC_ENABLE_CLIENT, client_id)
        return True

    def rotate_secret(self, admin_id: int | None, client_id: str) -> str | None:
        """A new secret for a confidential client, shown once; the old one stops working now."""
        secret = self.registry.rotate_secret(client_id)
        if secret is not None:
            self._audit(admin_id, Action.OIDC_ROTATE_SECRET, client_id)
        return secret

    def rotate_keys(self, admin_id: int | None = None) -> str:
        """A new signing key; the old one stays published until the ID tokens it signed have expired."""
        kid = self._keys.rotate()
        self._audit(admin_id, Action.OIDC_ROTATE_KEYS, kid)
        return kid


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 1 when refused, 2 on a configuration error."""
    parser = argparse.ArgumentParser(prog="python -m sms2fa_app.backend.admin.oidc_clients")
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register", help="register an OpenID client")
    register.add_argument("--name", required=True)
    register.add_argument("--redirect-uris", required=True, help="space-separated, each matched exactly")
    register.add_argument("--public", action="store_true", help="no secret: PKCE S256 instead (apps in a browser)")
    register.add_argument("--two-factor", action="store_true", help="every sign-in for it needs two factors")
    register.add_argument("--first-party", action="store_true", help="the operator's own app: no consent page")
    commands.add_parser("list", help="list the clients")
    commands.add_parser("rotate-keys", help="make a new ID-token signing key")
    arguments = parser.parse_args(argv)
    found = configured()
    if found is None:
        return 2
    settings, database = found
    clock = SystemClock()
    keys = SigningKeys(database, clock, settings.secret_key, KEY_PUBLISHED_AFTER_RETIREMENT_SECONDS)
    admin = OidcClientAdmin(database, clock, ClientRegistry(database, clock), keys)
    if arguments.command == "rotate-keys":
        print(f"kid={admin.rotate_keys()}")
        return 0
    if arguments.command == "list":
        for client in admin.clients():
            state = "disabled" if client.disabled else "enabled"
            print(f"{client.client_id} {client.name!r} {'public' if client.public else 'confidential'} {state}")
        return 0
    try:
        made = admin.register(
            arguments.name,
            arguments.redirect_uris.split(),
            public=arguments.public,
            two_factor=arguments.two_factor,
            first_party=arguments.first_party,
        )
    except ClientError as error:
        print(f"sms2fa: {error}", file=sys.stderr)
        return 1
    print(f"client_id={made.client_id}")
    if made.client_secret is not None:
        print(f"client_secret={made.client_secret}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
