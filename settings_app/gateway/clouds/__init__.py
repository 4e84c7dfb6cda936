"""The gateway's cloud providers: structured credentials routed by their own fields.

Azure OpenAI sends the stored `api-key` (or an Entra ID token), Bedrock signs each request with
SigV4 (botocore), Vertex AI sends an access token minted with google-auth. The parsed credential
is cached per stored value, so a rotation (a new value) takes the new one at once; base URLs
are read from settings on every request.
"""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError

from settings_app.credentials.envelope import loads

from ..destinations import Destination
from .azure import AzureDestination
from .bedrock import BedrockDestination
from .vertex import VertexDestination

KINDS: dict[str, type[AzureDestination | BedrockDestination | VertexDestination]] = {
    "azure_openai": AzureDestination,
    "bedrock": BedrockDestination,
    "vertex_ai": VertexDestination,
}


@lru_cache(maxsize=64)
def cloud_destination(stored: str) -> Destination | None:
    """The destination of a stored envelope; None when no longer valid or not callable."""
    try:
        envelope = loads(stored)
    except ValidationError:
        return None
    kind = KINDS.get(envelope.provider.slug)
    return None if kind is None else kind(dict(envelope.config), dict(envelope.secrets))
