"""Small keyed-hash helpers shared by sessions, limits and the OTP store."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def keyed_digest(secret: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the server secret, hex encoded.

    Used for anything derived from user data that we store or use as a key
    (codes, emails, phone numbers), so Redis never holds the raw value.
    """
    message = "\x1f".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy random token (no key needed for 256-bit tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token with 256 bits of entropy, URL-safe."""
    return secrets.token_urlsafe(32)


def digests_equal(left: str, right: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(left.encode(), right.encode())


def fernet_for(secret_key: str, info: bytes) -> Fernet:
    """A Fernet keyed by HKDF-SHA256 of the server secret; `info` names what it encrypts (one key per use)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))
