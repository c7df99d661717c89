"""A software WebAuthn authenticator for tests: answers the server's options the way a browser would,
in WebAuthn's JSON form (what `PublicKeyCredential.toJSON()` gives), with "none" attestation and an
ES256 key. Every field a test may want to get wrong is a parameter: origin, RP id, challenge, flags,
sign count, user handle.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class SoftCredential:
    """One credential the authenticator made: its id, key, user handle and counter."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


@dataclass
class SoftAuthenticator:
    """A platform authenticator that verifies its user (UV) and keeps discoverable credentials."""

    origin: str
    counting: bool = True  # False: the sign count stays 0, as many synced passkeys do
    backup_eligible: bool = False
    credentials: list[SoftCredential] = field(default_factory=list)

    # ---- navigator.credentials.create() ---------------------------------------------------------

    def create(
        self,
        options_json: str,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: bytes | None = None,
        user_verified: bool = True,
        resident_key: bool = True,
    ) -> str:
        """The registration response to the options (JSON); the credential is kept for later assertions."""
        options = json.loads(options_json)
        rp = rp_id or options["rp"]["id"]
        credential = SoftCredential(
            secrets.token_bytes(16),
            ec.generate_private_key(ec.SECP256R1()),
            rp,
            base64url_to_bytes(options["user"]["id"]),
        )
        self.credentials.append(credential)
        flags = FLAG_UP | FLAG_AT | (FLAG_UV if user_verified else 0) | (FLAG_BE if self.backup_eligible else 0)
        attested = AAGUID + struct.pack(">H", len(credential.credential_id)) + credential.credential_id
        auth_data = self._auth_data(rp, flags, 0) + attested + credential.cose_public_key()
        client_data = self._client_data("webauthn.create", challenge, options, origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": _b64(credential.credential_id),
                "rawId": _b64(credential.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": _b64(client_data),
                    "attestationObject": _b64(attestation),
                    "transports": ["internal"],
                },
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {"credProps": {"rk": resident_key}},
            }
        )

    # ---- navigator.credentials.get() ------------------------------------------------------------

    def get(
        self,
        options_json: str,
        *,
        credential: SoftCredential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: bytes | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        user_handle: bytes | bool | None = True,
        tamper: bool = False,
    ) -> str:
        """The assertion for the options (JSON) by `credential` (default: the newest one made).

        `sign_count` forces the counter; `user_handle` True sends the credential's, None sends none;
        `tamper` breaks the signature."""
        options = json.loads(options_json)
        chosen = credential or self.credentials[-1]
        if sign_count is None:
            if self.counting:
                chosen.sign_count += 1
            sign_count = chosen.sign_count
        flags = FLAG_UP | (FLAG_UV if user_verified else 0) | (FLAG_BE | FLAG_BS if self.backup_eligible else 0)
        auth_data = self._auth_data(rp_id or chosen.rp_id, flags, sign_count)
        client_data = self._client_data("webauthn.get", challenge, options, origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = chosen.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if tamper:
            signature = chosen.private_key.sign(signed + b"x", ec.ECDSA(hashes.SHA256()))
        response: dict[str, Any] = {
            "clientDataJSON": _b64(client_data),
            "authenticatorData": _b64(auth_data),
            "signature": _b64(signature),
        }
        handle = chosen.user_handle if user_handle is True else user_handle
        if isinstance(handle, bytes):
            response["userHandle"] = _b64(handle)
        return json.dumps(
            {
                "id": _b64(chosen.credential_id),
                "rawId": _b64(chosen.credential_id),
                "type": "public-key",
                "response": response,
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
            }
        )

    # ---- internals ------------------------------------------------------------------------------

    @staticmethod
    def _auth_data(rp_id: str, flags: int, sign_count: int) -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)

    def _client_data(self, kind: str, challenge: bytes | None, options: dict[str, Any], origin: str | None) -> bytes:
        value = _b64(challenge) if challenge is not None else options["challenge"]
        return json.dumps(
            {"type": kind, "challenge": value, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()
