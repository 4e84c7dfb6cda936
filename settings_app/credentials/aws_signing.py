"""SigV4 signatures for Bedrock requests, by botocore's signer (never a hand-written one).

The signature covers the method, the exact path and query as sent, the given headers and the
exact body; botocore computes the host from the URL as the HTTP client will send it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "bedrock"  # the signing name of both bedrock and bedrock-runtime

# botocore logs the canonical request at DEBUG, session token included: keep it quiet. Set
# once here: setLevel clears every logger's cache, too costly on each gateway request.
logging.getLogger("botocore.auth").setLevel(logging.INFO)


def signed_headers(
    fields: Mapping[str, str],
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> dict[str, str]:
    """`headers` plus X-Amz-Date, Authorization (and X-Amz-Security-Token) for this request."""
    credentials = Credentials(
        fields["access_key_id"], fields["secret_access_key"], fields.get("session_token")
    )
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    SigV4Auth(credentials, SERVICE, fields["region"]).add_auth(request)
    return dict(request.headers.items())
