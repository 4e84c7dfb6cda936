"""AWS Bedrock: a SigV4-signed (botocore) or bearer GET /foundation-models; 403s told apart."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from settings_app.constants import VerificationStatus as Status
from settings_app.providers.classification import VerificationResult

from . import urls
from .aws_signing import signed_headers
from .http import Answer, exchange, generic

# AWS answers 403 both for bad credentials and for missing permissions: its error type decides.
INVALID_TYPES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
}
RESTRICTED_TYPES = {"AccessDeniedException"}


def check_bedrock(fields: Mapping[str, str], client: httpx.Client | None) -> VerificationResult:
    url = f"{urls.bedrock_base(fields['region'])}/foundation-models"
    if "api_key" in fields:
        headers = {"Authorization": f"Bearer {fields['api_key']}"}
    else:
        headers = signed_headers(fields, "GET", url)
    return classify(exchange("GET", url, headers=headers, client=client))


def error_type(answer: Answer) -> str:
    """`UnrecognizedClientException` from its header or body (`__type` may carry a prefix)."""
    raw = answer.headers.get("x-amzn-errortype") or str(answer.json().get("__type", ""))
    return raw.split(":")[0].rsplit("#", 1)[-1]


def classify(answer: Answer) -> VerificationResult:
    kind = error_type(answer)
    if answer.status == 403 and kind in INVALID_TYPES:
        return VerificationResult(
            Status.INVALID, f"HTTP 403 {kind}: the credentials are not valid."
        )
    if answer.status == 403 and kind in RESTRICTED_TYPES:
        return VerificationResult(
            Status.RESTRICTED,
            f"HTTP 403 {kind}: the credentials are valid but may not list Bedrock models.",
        )
    if answer.status == 403:
        return VerificationResult(
            Status.UNREACHABLE, "HTTP 403 without a known error type; try again later."
        )
    return generic(answer, what="AWS credential")
