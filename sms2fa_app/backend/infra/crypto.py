"""Small keyed-hash and encryption helpers shared by sessions, limits, the OTP store, TOTP secrets and jobs."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAX_TOKEN_LENGTH = 128  # a browser token is 43 characters; anything much longer is not one
TOKEN_BYTES = 32
_ISSUED_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what new_token returns: 32 bytes, URL-safe base64, unpadded


def keyed_digest(secret: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the server secret, hex encoded.

    Used for anything derived from user data that we store or use as a key
    (codes, emails, phone numbers), so Redis never holds the raw value.
    """
    keyed = _keyed_hmac(secret).copy()
    keyed.update("\x1f".join(parts).encode())
    return keyed.hexdigest()


@functools.lru_cache(maxsize=8)
def _keyed_hmac(secret: str) -> hmac.HMAC:
    """An HMAC already keyed with `secret`, to copy: a send derives four digests, and keying each from scratch
    cost as much as hashing it (the process has one or two secrets)."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy random token (no key needed for 256-bit tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenDigest:
    """The SHA-256 of a browser token, standing in for it where the server keeps it (its database, Reflex state)."""

    hex: str

    @classmethod
    def of(cls, token: object) -> TokenDigest | None:
        """The digest of something a browser sent, or None when it cannot be a token."""
        if not token or not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            return None
        return cls(token_digest(token))

    @classmethod
    def of_issued(cls, token: object) -> TokenDigest | None:
        """The digest of a cookie's token, or None unless it has the exact shape of one `new_token` makes: anyone
        may send junk cookies, and each would otherwise cost a SQL query and a cache write."""
        if not isinstance(token, str) or not _ISSUED_TOKEN.fullmatch(token):
            return None
        return cls(token_digest(token))


def lookup_digest(token: str | TokenDigest | None) -> str | None:
    """The hex digest to find a browser token by, given the token or its digest; None for anything else."""
    if isinstance(token, TokenDigest):
        return token.hex
    found = TokenDigest.of(token)
    return None if found is None else found.hex


def new_token() -> str:
    """A fresh random token with 256 bits of entropy, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def digests_equal(left: str, right: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(left.encode(), right.encode())


def keyed_fernet(secret: str, info: bytes) -> Fernet:
    """A Fernet (authenticated encryption) keyed by HKDF-SHA256 of the server secret for one purpose (`info`)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))
