"""AWS Bedrock through the gateway: bedrock-runtime in the credential's region, each request
SigV4-signed by botocore over the exact method, path, query, headers and body sent (or the
stored Bedrock API key as a bearer token).

Callers use Bedrock's own REST paths: `/model/<id>/invoke`, `/model/<id>/converse`, and the
streamed `invoke-with-response-stream` and `converse-stream` (AWS event-stream framing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from settings_app.credentials import urls
from settings_app.credentials.aws_signing import signed_headers

from .. import forwarding
from ..routing import Route, upstream_url
from ..usage import ANTHROPIC, CONVERSE


@dataclass(frozen=True, repr=False)
class BedrockDestination:
    config: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    slug: str = "bedrock"

    def family(self, route: Route) -> str:
        """Converse reports `usage.inputTokens`; InvokeModel answers in the model's own shape
        (Anthropic's for Claude; Bedrock's invocation metrics for every model when streamed)."""
        operation = route.raw_path.rsplit("/", 1)[-1]
        return CONVERSE if operation.startswith("converse") else ANTHROPIC

    def asks_usage(self, route: Route) -> bool:
        return False

    async def request(
        self, method: str, route: Route, headers: forwarding.Headers, body: bytes
    ) -> httpx.Request:
        url = upstream_url(urls.bedrock_runtime_base(self.config["region"]), route)
        sent = forwarding.caller_headers(headers)
        if "api_key" in self.secrets:
            bearer = f"Bearer {self.secrets['api_key']}".encode("latin-1")
            return httpx.Request(
                method, url, headers=[*sent, (b"authorization", bearer)], content=body
            )
        signed = signed_headers(self.fields, method, str(url), _merged(sent), body)
        return httpx.Request(method, url, headers=signed, content=body)

    @property
    def fields(self) -> dict[str, str]:
        return {**self.config, **self.secrets}


def _merged(headers: forwarding.Headers) -> dict[str, str]:
    """One value per name (repeated ones joined, as RFC 9110 allows), as botocore signs them."""
    merged: dict[str, str] = {}
    for name, value in headers:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged
