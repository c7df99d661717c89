"""An account's rows, deleted in the caller's transaction (the deletion use case is flows/account_security.py; an
expired unconfirmed sign-up goes the same way): the activity rows are stripped down to their kind and time (kept for
the retention period, then purged), and its factors (passkeys included), sessions, remembered devices, links and the
account row itself go.
"""

from __future__ import annotations

from sqlmodel import Session, col, delete

from sms2fa_app.backend.audit.activity import Activity
from sms2fa_app.backend.models import (
    AuthenticatorApp,
    LinkToken,
    LoginSession,
    OidcConsent,
    OidcToken,
    Passkey,
    RecoveryCode,
    RememberedDevice,
    TwoFactorReset,
    User,
)

# Every table with a foreign key to users, besides the activity log (which keeps anonymous rows) and users itself.
# The admins' audit log (admin_actions) has no foreign key: it outlives the account.
_USER_ROWS = (
    RecoveryCode,
    AuthenticatorApp,
    Passkey,
    RememberedDevice,
    LinkToken,
    LoginSession,
    TwoFactorReset,
    OidcToken,  # issued to OpenID clients; they count only while their session lives, which this ends too
    OidcConsent,
)


def delete_account_rows(tx: Session, user_id: int) -> None:
    """In the caller's transaction: the account's activity rows keep only their kind and time; its factors,
    sessions, remembered devices, links, pending reset and the account row itself go."""
    Activity.forget_user(tx, user_id)
    for table in _USER_ROWS:
        tx.exec(delete(table).where(col(table.user_id) == user_id))
    tx.exec(delete(User).where(col(User.id) == user_id))
