"""keyvault's client: read settings from a keyvault server with a service token.

    from keyvault_client import Client

    client = Client()  # KEYVAULT_URL and KEYVAULT_TOKEN (or KEYVAULT_TOKEN_FILE)
    client.get("openai_api_key")

Needs only the standard library (httpx, with the `httpx` extra, pools connections for `Client`)
and never imports Django, so other services can install it (`pip install ./client`) or vendor it.
The `keyvault` command (`keyvault run`, `keyvault get`) is in `keyvault_client.cli`.
"""

from __future__ import annotations

from .client import Client
from .credentials import Credential
from .errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    KeyvaultError,
    NotFound,
    ProtocolError,
    RateLimited,
    Refused,
    StructuredCredential,
    Unauthorized,
    Unavailable,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "ConfigurationError",
    "Conflict",
    "Credential",
    "Forbidden",
    "KeyvaultError",
    "NotFound",
    "ProtocolError",
    "RateLimited",
    "Refused",
    "StructuredCredential",
    "Unauthorized",
    "Unavailable",
]
