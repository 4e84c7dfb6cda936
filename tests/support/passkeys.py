"""A software passkey for tests: a P-256 key pair registered as a user's WebAuthn credential.

It answers the challenge of django-otp-webauthn's begin view the way an authenticator does
(client data, authenticator data, an ES256 signature), so the package's own verification
(py_webauthn) accepts it, or rejects it when `forged=True` signs with another key.
Chromium's virtual authenticator does the same in the browser journey.
"""

from __future__ import annotations

import hashlib
import json
import os
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential

BEGIN_SIGN_IN = "/admin/2fa/passkeys/authentication/begin/"
COMPLETE_SIGN_IN = "/admin/2fa/passkeys/authentication/complete/"
_USER_PRESENT_AND_VERIFIED = 0x01 | 0x04


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    """One passkey: its private key, credential id and the counter an authenticator keeps."""

    user: Any
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    sign_count: int = 0

    def register(self) -> WebAuthnCredential:
        """Store the public key as the user's confirmed passkey, as enrolment would."""
        numbers = self.key.public_key().public_numbers()
        cose = {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        return WebAuthnCredential.objects.create(
            user=self.user,
            name="Passkey",
            confirmed=True,
            credential_id=self.credential_id,
            public_key=cbor2.dumps(cose),
        )

    def assertion(self, challenge: str, *, forged: bool = False) -> dict[str, Any]:
        """The JSON a browser posts for `challenge`; `forged` signs it with a key not registered."""
        self.sign_count += 1
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": challenge, "origin": _origin()}
        ).encode()
        rp_hash = hashlib.sha256(settings.OTP_WEBAUTHN_RP_ID.encode()).digest()
        auth_data = (
            rp_hash + bytes([_USER_PRESENT_AND_VERIFIED]) + self.sign_count.to_bytes(4, "big")
        )
        signer = ec.generate_private_key(ec.SECP256R1()) if forged else self.key
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = signer.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
            },
            "clientExtensionResults": {},
        }

    def sign_in(self, client: Client, *, forged: bool = False) -> Any:
        """Both ceremony steps through the views; returns the response of the second."""
        begun = client.post(BEGIN_SIGN_IN)
        if begun.status_code != 200:
            return begun
        answer = self.assertion(begun.json()["challenge"], forged=forged)
        return client.post(COMPLETE_SIGN_IN, json.dumps(answer), content_type="application/json")


def _origin() -> str:
    return str(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0])
