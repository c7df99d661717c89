"""Database tables (SQLModel, table=True)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Index, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware UTC now."""
    return datetime.now(UTC)


class User(SQLModel, table=True):
    """An account: email and password, and the SMS second factor when enrolled."""

    __tablename__ = "users"
    # Ids are never reused (SQLite would reuse a deleted highest id): a deleted account's id names nobody else.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    phone_number: str | None = Field(default=None, max_length=16, unique=True, index=True)
    is_two_factor_enabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Bumped by every second-factor change; a remembered device is only honoured for the epoch it was made in.
    factor_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The factor used last ("sms", "totp" or "passkey"); the challenge offers a passkey first whenever there is one.
    preferred_factor: str = Field(default="sms", max_length=8, sa_column_kwargs={"server_default": "sms"})
    # When the owner of the address opened the verification link (None: not yet; accounts made before
    # verification existed count as verified from the migration on).
    email_verified_at: float | None = Field(default=None)
    # May enter /admin (with 2FA on); granted only by the CLI (backend/admin/cli.py).
    is_admin: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # The language the user chose (a shipped locale such as "pt_BR"; None: no choice, negotiated each time).
    locale: str | None = Field(default=None, max_length=8)
    # How codes reach phone_number: "sms", "whatsapp" (chosen by the user) or "voice" (a landline, per Lookup).
    phone_channel: str = Field(default="sms", max_length=8, sa_column_kwargs={"server_default": "sms"})


class LoginSession(SQLModel, table=True):
    """A server-side login session; the browser holds only a random token whose hash is stored here."""

    __tablename__ = "login_sessions"
    # Ids are never reused (SQLite would reuse a deleted highest id): codes and grants are bound to them.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    # Its assurance (backend/assurance.py): the level it counts for, when its last factor was presented, and the
    # RFC 8176 methods presented in it, each with when it was last presented ("pwd=1765000000.0 sms=...").
    level: str = Field(default="none", max_length=16, sa_column_kwargs={"server_default": "none"})
    auth_time: float
    amr: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    created_at: float
    last_seen_at: float
    client_ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
    # What took it to the authenticated stage: a Factor value, "device" (a remembered browser), "password"
    # (an account without 2FA) or "" (not yet, or made before this was stored). The admin console needs a factor.
    how: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})


class RecoveryCode(SQLModel, table=True):
    """One single-use recovery code; only its HMAC under the server secret is stored."""

    __tablename__ = "recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    code_digest: str = Field(max_length=64, unique=True, index=True)
    created_at: float
    used_at: float | None = Field(default=None)


class AuthenticatorApp(SQLModel, table=True):
    """A user's TOTP authenticator (at most one); the secret is stored encrypted."""

    __tablename__ = "authenticator_apps"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True)
    secret_encrypted: str = Field(max_length=255)
    confirmed: bool = Field(default=False)
    created_at: float
    last_used_step: int = Field(default=-1)  # the newest 30 s time step accepted (no replay)


class RememberedDevice(SQLModel, table=True):
    """A browser that may skip the second factor; the browser holds a random token whose SHA-256 is stored."""

    __tablename__ = "remembered_devices"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_digest: str = Field(max_length=64, unique=True, index=True)
    label: str = Field(default="", max_length=64)
    factor_epoch: int
    created_at: float
    last_used_at: float
    expires_at: float


class Passkey(SQLModel, table=True):
    """A user's WebAuthn credential (passkey): its public key and what the authenticator said about it."""

    __tablename__ = "passkeys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    credential_id: str = Field(max_length=1400, unique=True, index=True)  # base64url of at most 1023 bytes
    user_handle: str = Field(max_length=128)  # base64url of the WebAuthn user handle all of a user's passkeys share
    public_key: str = Field(max_length=2048)  # base64url of the COSE public key
    sign_count: int = Field(default=0, sa_type=BigInteger)  # the authenticator's counter (32 bits unsigned)
    transports: str = Field(default="", max_length=128)  # comma-separated hints for the browser
    backup_eligible: bool = Field(default=False)  # a multi-device (synced) credential
    backed_up: bool = Field(default=False)
    discoverable: bool | None = Field(default=None)  # a resident key, as the browser reported (None: not said)
    aaguid: str = Field(default="", max_length=36)
    name: str = Field(max_length=64)
    created_at: float
    last_used_at: float | None = Field(default=None)


class LinkToken(SQLModel, table=True):
    """A single-use link sent by email (verify the address, reset the password); only its SHA-256 is stored."""

    __tablename__ = "link_tokens"
    __table_args__ = {"sqlite_autoincrement": True}  # ids bind texted reset codes: never reused

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    purpose: str = Field(max_length=16)
    token_digest: str = Field(max_length=64, unique=True, index=True)
    created_at: float
    expires_at: float
    used_at: float | None = Field(default=None)
    # Password reset with 2FA on: when a second factor was presented for this link (None: not yet).
    second_factor_at: float | None = Field(default=None)


class SecurityEvent(SQLModel, table=True):
    """One line of a user's security activity, appended in the transaction of the change it records.

    Rows are only inserted; the retention purge deletes old ones, and deleting an account keeps its rows
    without the user, the browser or the network.
    """

    __tablename__ = "security_events"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    kind: str = Field(max_length=32)
    at: float = Field(index=True)
    browser: str = Field(default="", max_length=64)
    network: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=32)


class AdminAction(SQLModel, table=True):
    """The admins' audit log: who did what to which account, and when (only inserted)."""

    __tablename__ = "admin_actions"

    id: int | None = Field(default=None, primary_key=True)
    admin_id: int | None = Field(default=None, index=True)  # None: the CLI (no account acted)
    user_id: int | None = Field(default=None, index=True)  # no foreign key: the log outlives the account
    action: str = Field(max_length=32)
    detail: str = Field(default="", max_length=200)
    at: float = Field(index=True)


class TwoFactorReset(SQLModel, table=True):
    """An admin's reset of a user's 2FA: pending until `due_at`, then applied, unless cancelled first."""

    __tablename__ = "two_factor_resets"
    # At most one pending reset per user, whatever two admins (or two workers) do at once.
    __table_args__ = (
        Index(
            "uq_two_factor_resets_pending",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    admin_id: int | None = Field(default=None)
    identity_check: str = Field(max_length=200)  # how the admin verified the person's identity
    requested_at: float
    due_at: float = Field(index=True)
    state: str = Field(default="pending", max_length=16, index=True)  # pending | cancelled | applied
    resolved_at: float | None = Field(default=None)


class SmsOpsEvent(SQLModel, table=True):
    """One text or call asked for: sent (then its delivery state) or refused, by destination country.

    Written by the send path and the delivery reports; the admin console's charts read only these rows.
    Holds no number, user or code."""

    __tablename__ = "sms_ops_events"

    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(index=True)
    channel: str = Field(max_length=8)  # sms | voice
    country: str = Field(default="", max_length=8)  # ISO region, "" when the number did not parse
    outcome: str = Field(max_length=32)  # "sent", "blocked" (a country's cap was reached) or the refusal
    message_id: str = Field(default="", max_length=64, index=True)
    state: str = Field(default="", max_length=16)  # the newest delivery state of a sent message


class OutboxJob(SQLModel, table=True):
    """A job whose loss matters (a security notice, an operator alert), written in its change's transaction and
    relayed to the Redis job queue, then deleted (backend/infra/outbox.py).

    `payload` is the job sealed as the queue stores it (Fernet, key from SECRET_KEY): it may hold an address,
    a number or a link."""

    __tablename__ = "outbox"

    id: str = Field(primary_key=True, max_length=40)  # also the job's id in Redis: relaying twice queues it once
    kind: str = Field(max_length=32)
    payload: str
    created_at: float = Field(index=True)
    claimed_until: float = Field(default=0, index=True)  # a relay's lease: others leave the row alone until then
    attempts: int = Field(default=0)  # how many relays claimed it (more than one: Redis was failing)


class OidcClient(SQLModel, table=True):
    """An application that signs its users in through sms2fa (OpenID Connect relying party; backend/oidc/).

    The secret is shown once and only its SHA-256 is kept (it is 256 random bits: no key stretching needed)."""

    __tablename__ = "oidc_clients"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=64)
    secret_digest: str = Field(default="", max_length=64)  # "" for a public client (PKCE instead of a secret)
    redirect_uris: str = Field(max_length=2000)  # space-separated, each matched exactly
    post_logout_redirect_uris: str = Field(default="", max_length=2000)
    public: bool = Field(default=False)
    require_two_factor: bool = Field(default=False)  # every sign-in for it needs two factors (step-up)
    first_party: bool = Field(default=False)  # the operator's own app: no consent page
    disabled: bool = Field(default=False)
    created_at: float


class OidcToken(SQLModel, table=True):
    """One access token (and its refresh token, when the client asked for offline_access) issued to a client under
    a login session; only SHA-256 digests are kept. Tokens of one authorization share a `family`: a refresh token
    used twice revokes the family. A token counts only while its login session lives."""

    __tablename__ = "oidc_tokens"

    id: int | None = Field(default=None, primary_key=True)
    family: str = Field(max_length=32, index=True)
    client_id: str = Field(max_length=64, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    session_id: int = Field(index=True)  # no foreign key: a session's end must not wait for these rows
    scope: str = Field(default="", max_length=255)
    access_digest: str = Field(max_length=64, unique=True, index=True)
    access_expires_at: float
    refresh_digest: str | None = Field(default=None, max_length=64, unique=True, index=True)
    issued_at: float
    rotated_at: float | None = Field(default=None)  # its refresh token was exchanged for a newer one
    revoked_at: float | None = Field(default=None)


class OidcSigningKey(SQLModel, table=True):
    """A key that signs ID tokens; the private key is encrypted under a key derived from SECRET_KEY. The newest
    unretired key signs; a retired key stays published until the ID tokens it signed have expired."""

    __tablename__ = "oidc_signing_keys"

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=64, unique=True)
    alg: str = Field(max_length=8)
    private_key_encrypted: str
    created_at: float
    retired_at: float | None = Field(default=None)


class OidcConsent(SQLModel, table=True):
    """A user's consent to a third-party client receiving the scopes listed (asked once per client)."""

    __tablename__ = "oidc_consents"
    __table_args__ = (Index("uq_oidc_consents_user_client", "user_id", "client_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    client_id: str = Field(max_length=64)
    scope: str = Field(max_length=255)
    granted_at: float
