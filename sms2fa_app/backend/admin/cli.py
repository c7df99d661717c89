"""The first admin (and every other) is made from the command line, never from the web:

    python -m sms2fa_app.backend.admin.cli grant-admin EMAIL
    python -m sms2fa_app.backend.admin.cli revoke-admin EMAIL

The account must exist; it can enter /admin once 2FA is on. Each change is an audit row (admin_id empty: the CLI).
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import select

from sms2fa_app.backend.admin.audit import Action, record_action
from sms2fa_app.backend.identity.email_addresses import canonical_email
from sms2fa_app.backend.infra.clock import Clock, SystemClock
from sms2fa_app.backend.infra.db import Database, make_engine
from sms2fa_app.backend.models import User
from sms2fa_app.config import ConfigError, Settings, get_settings


def set_admin(database: Database, clock: Clock, email: str, admin: bool) -> str:
    """Grant or revoke the role; the line to print (what changed, or why nothing did)."""
    address = canonical_email(email.strip())
    if not isinstance(address, str):
        return f"not an email address: {email!r}"
    with database.session() as tx:
        user = tx.exec(select(User).where(User.email == address)).first()
        if user is None:
            return f"no account with the address {address}"
        if user.is_admin == admin:
            return f"{address} {'is already' if admin else 'is not'} an admin"
        user.is_admin = admin
        tx.add(user)
        record_action(tx, clock.now(), None, user.id, Action.GRANT_ADMIN if admin else Action.REVOKE_ADMIN, "cli")
    advice = "" if not admin or user.is_two_factor_enabled else " (it can enter /admin once 2FA is on)"
    return f"{address} {'is now' if admin else 'is no longer'} an admin{advice}"


def configured() -> tuple[Settings, Database] | None:
    """The settings and the database for an operator's command; None (the error printed in one line, exit 2)
    when the configuration is wrong. Shared by the admin and OpenID-client commands."""
    try:
        settings = get_settings()
    except ConfigError as error:
        print(f"sms2fa: configuration error: {error}", file=sys.stderr)
        return None
    return settings, Database(make_engine(settings.database_url))


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 when the role changed, 1 when nothing did, 2 on a configuration error."""
    parser = argparse.ArgumentParser(prog="python -m sms2fa_app.backend.admin.cli", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["grant-admin", "revoke-admin"])
    parser.add_argument("email")
    arguments = parser.parse_args(argv)
    found = configured()
    if found is None:
        return 2
    _settings, database = found
    line = set_admin(database, SystemClock(), arguments.email, arguments.command == "grant-admin")
    print(line)
    return 0 if " now " in line or "no longer" in line else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
