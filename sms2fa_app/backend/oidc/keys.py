"""The keys that sign ID tokens (RS256): made on first use, stored encrypted under a key derived from SECRET_KEY,
rotated by the operator's CLI. A retired key is erased once its publish window ends.

The newest unretired key signs. Rotation makes a new key and retires the others; a retired key is still published
in the JWKS until every ID token it signed has expired (`published_for` seconds after its retirement), so a relying
party can still check a token signed just before. The JWKS is read from the database at every request: a worker
that starts signing with a new key never meets a JWKS without it. Signing caches the key for a minute. A key never
changes once made, so its public half is kept in process by kid: serving the JWKS (or checking an id_token_hint)
decrypts each key at most once per process, never per request (it costs ~40 ms a key: a cheap DoS otherwise).
"""

from __future__ import annotations

import logging
import threading

from cryptography.fernet import InvalidToken
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import or_
from sqlmodel import Session, col, delete, select, update

from sms2fa_app.backend.infra.clock import Clock
from sms2fa_app.backend.infra.crypto import keyed_fernet
from sms2fa_app.backend.infra.db import Database
from sms2fa_app.backend.infra.events import log_event
from sms2fa_app.backend.models import OidcSigningKey

log = logging.getLogger("sms2fa.oidc")

ALGORITHM = "RS256"
RSA_BITS = 2048
SIGNING_CACHE_SECONDS = 60
_FERNET_INFO = b"sms2fa oidc signing key v1"


class SigningKeys:
    """The ID-token signing keys in the SQL database."""

    def __init__(self, database: Database, clock: Clock, secret_key: str, published_for: float):
        """`published_for`: how long a retired key stays in the JWKS (at least the ID tokens' lifetime)."""
        self._db = database
        self._clock = clock
        self._fernet = keyed_fernet(secret_key, _FERNET_INFO)
        self._published_for = published_for
        self._lock = threading.Lock()
        self._cached: tuple[float, RSAKey] | None = None
        self._public: dict[str, RSAKey | None] = {}  # kid -> public key (None: unreadable under this SECRET_KEY)

    def _decrypt(self, record: OidcSigningKey) -> RSAKey | None:
        """The key, or None when SECRET_KEY changed since it was stored (it can no longer sign or be published)."""
        try:
            pem = self._fernet.decrypt(record.private_key_encrypted.encode())
        except InvalidToken:
            log_event(log, logging.WARNING, "oidc_signing_key_unreadable", kid=record.kid)
            return None
        return RSAKey.import_key(pem, {"kid": record.kid, "alg": record.alg, "use": "sig"})

    def _new_record(self) -> OidcSigningKey:
        key = RSAKey.generate_key(RSA_BITS, parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
        sealed = self._fernet.encrypt(key.as_pem(private=True)).decode()
        return OidcSigningKey(
            kid=key.kid or "", alg=ALGORITHM, private_key_encrypted=sealed, created_at=self._clock.now()
        )

    def signing_key(self) -> RSAKey:
        """The key to sign with now (made when there is none yet)."""
        now = self._clock.now()
        with self._lock:  # one reader at a time in this process: concurrent first tokens make one key, not several
            if self._cached is not None and now - self._cached[0] < SIGNING_CACHE_SECONDS:
                return self._cached[1]
            with self._db.session() as db:
                self._erase_unpublished(db, now)
                record = db.exec(
                    select(OidcSigningKey)
                    .where(col(OidcSigningKey.retired_at).is_(None))
                    .order_by(col(OidcSigningKey.id).desc())
                ).first()
                key = None if record is None else self._decrypt(record)
                if record is not None and key is None:  # SECRET_KEY changed: retire it for good, make a new one
                    record.retired_at = 0.0
                    db.add(record)
                if key is None:  # first start: two workers may each make one; both are published, the newest signs
                    record = self._new_record()
                    db.add(record)
                    log_event(log, logging.INFO, "oidc_signing_key_created", kid=record.kid)
                    key = self._decrypt(record)
                assert key is not None
            self._cached = (now, key)
            return key

    def rotate(self) -> str:
        """Make a new signing key and retire the others (still published for a while); returns the new kid."""
        with self._db.session() as db:
            db.exec(
                update(OidcSigningKey)
                .where(col(OidcSigningKey.retired_at).is_(None))
                .values(retired_at=self._clock.now())
            )
            self._erase_unpublished(db, self._clock.now())
            record = self._new_record()
            db.add(record)
        with self._lock:
            self._cached = None
        log_event(log, logging.INFO, "oidc_signing_key_rotated", kid=record.kid)
        return record.kid

    def _erase_unpublished(self, db: Session, now: float) -> None:
        """Delete the retired keys no longer published: nothing they signed is still valid, so keeping their
        private halves would only risk them (run at each signing-key refresh and rotation, not per JWKS request)."""
        since = now - self._published_for
        gone = db.exec(
            delete(OidcSigningKey).where(
                col(OidcSigningKey.retired_at).is_not(None), col(OidcSigningKey.retired_at) <= since
            )
        ).rowcount
        if gone:
            log_event(log, logging.INFO, "oidc_signing_keys_erased", count=gone)

    def _public_key(self, record: OidcSigningKey) -> RSAKey | None:
        """The public half of a stored key, decrypted once per process (keys never change)."""
        if record.kid not in self._public:
            key = self._decrypt(record)
            self._public[record.kid] = None if key is None else RSAKey.import_key(key.as_dict(private=False))
        return self._public[record.kid]

    def _published_records(self) -> list[OidcSigningKey]:
        since = self._clock.now() - self._published_for
        with self._db.session() as db:
            return list(
                db.exec(
                    select(OidcSigningKey)
                    .where(or_(col(OidcSigningKey.retired_at).is_(None), col(OidcSigningKey.retired_at) > since))
                    .order_by(col(OidcSigningKey.id).desc())
                ).all()
            )

    def public_keys(self) -> KeySet:
        """The keys a relying party may meet in an ID token: the unretired ones and those retired recently."""
        records = self._published_records()
        if not any(record.retired_at is None for record in records):
            self.signing_key()  # the JWKS is never empty: the first key is made here
            records = self._published_records()
        return KeySet([key for key in map(self._public_key, records) if key is not None])

    def jwks(self) -> dict[str, object]:
        """The JWKS document (public parts only)."""
        return self.public_keys().as_dict(private=False)
