"""Vertex AI: a JWT-bearer token request signed with the service account's key, then one list.

The assertion is signed by google-auth's RS256 signer. Its audience is the stored token_uri,
which must be exactly Google's: a tampered one is refused before anything is signed or sent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx
from google.auth import crypt, jwt

from settings_app.constants import VerificationStatus as Status
from settings_app.providers.classification import VerificationResult

from . import urls
from .http import exchange, generic

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME_SECONDS = 300


def check_vertex(fields: Mapping[str, str], client: httpx.Client | None) -> VerificationResult:
    try:
        token_url = urls.vertex_token_url(fields["token_uri"])
    except urls.UnsafeURLError as error:
        return VerificationResult(Status.INVALID, f"{error} Nothing was sent.")
    form = {"grant_type": GRANT_TYPE, "assertion": assertion(fields)}
    answer = exchange("POST", token_url, headers={}, data=form, client=client)
    token = answer.json().get("access_token")
    if answer.status == 400 and answer.json().get("error") == "invalid_grant":
        return VerificationResult(
            Status.INVALID, "HTTP 400 invalid_grant: Google refused the service account's key."
        )
    if answer.status != 200 or not isinstance(token, str):
        return generic(answer, what="service account")
    project, location = fields["project_id"], fields["location"]
    url = f"{urls.vertex_base(location)}/v1/projects/{project}/locations/{location}/endpoints"
    headers = {"Authorization": f"Bearer {token}"}
    return generic(
        exchange("GET", f"{url}?pageSize=1", headers=headers, client=client), what="service account"
    )


def assertion(fields: Mapping[str, str]) -> str:
    """The signed JWT Google's token endpoint exchanges for an access token."""
    signer = crypt.RSASigner.from_string(fields["private_key"], fields.get("private_key_id"))
    now = int(time.time())
    claims = {
        "iss": fields["client_email"],
        "scope": SCOPE,
        "aud": fields["token_uri"],
        "iat": now,
        "exp": now + LIFETIME_SECONDS,
    }
    return jwt.encode(signer, claims).decode()
