"""Where a credential's secrets may be sent: URLs built from names, then checked again.

Stored fields are names (an Azure resource, an AWS region, a Vertex location), never URLs.
A host is built from a name and a fixed suffix, and the built URL is parsed back: https, the
exact host expected, no user-info, the default port. Free-form base URLs exist only in
configuration (`KEYVAULT_<PROVIDER>_BASE_URL`, how tests reach stand-in servers on 127.0.0.1).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from .schema import AZURE_SUFFIXES, VERTEX_TOKEN_URI

AZURE_LOGIN_HOST = "login.microsoftonline.com"


class UnsafeURLError(ValueError):
    """A built URL is not the https URL of the host it was built for: nothing is sent."""


def checked(url: str, host: str) -> str:
    """`url` if it is https on exactly `host` at the default port with no user-info."""
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or parts.hostname != host
        or parts.netloc != host
        or parts.username is not None
        or parts.port is not None
        or parts.fragment
    ):
        raise UnsafeURLError(f"Refused to send a credential to a URL not on {host}.")
    return url


def configured(setting: str) -> str | None:
    """A base URL set in configuration (never from stored data or a request)."""
    value = getattr(settings, setting, None)
    return str(value).rstrip("/") if value else None


def azure_endpoint(resource_name: str, suffix: str = AZURE_SUFFIXES[0]) -> str:
    """https://<resource>.<suffix>, from a fixed list of suffixes."""
    if suffix not in AZURE_SUFFIXES:
        raise UnsafeURLError("The Azure endpoint suffix is not one keyvault knows.")
    host = f"{resource_name}.{suffix}"
    return checked(f"https://{host}", host)


def azure_base(resource_name: str, suffix: str = AZURE_SUFFIXES[0]) -> str:
    return configured("KEYVAULT_AZURE_OPENAI_BASE_URL") or azure_endpoint(resource_name, suffix)


def azure_login_base() -> str:
    fixed = checked(f"https://{AZURE_LOGIN_HOST}", AZURE_LOGIN_HOST)
    return configured("KEYVAULT_AZURE_LOGIN_BASE_URL") or fixed


def bedrock_base(region: str) -> str:
    host = f"bedrock.{region}.amazonaws.com"
    return configured("KEYVAULT_BEDROCK_BASE_URL") or checked(f"https://{host}", host)


def bedrock_runtime_base(region: str) -> str:
    """Where model calls go (InvokeModel, Converse): bedrock-runtime, not the control plane."""
    host = f"bedrock-runtime.{region}.amazonaws.com"
    return configured("KEYVAULT_BEDROCK_RUNTIME_BASE_URL") or checked(f"https://{host}", host)


def vertex_base(location: str) -> str:
    host = (
        "aiplatform.googleapis.com"
        if location == "global"
        else (f"{location}-aiplatform.googleapis.com")
    )
    return configured("KEYVAULT_VERTEX_AI_BASE_URL") or checked(f"https://{host}", host)


def vertex_token_url(token_uri: str) -> str:
    """Google's token endpoint: the stored token_uri must be exactly it."""
    if token_uri != VERTEX_TOKEN_URI:
        raise UnsafeURLError("The service account's token_uri is not Google's token endpoint.")
    return configured("KEYVAULT_VERTEX_AI_TOKEN_URL") or checked(token_uri, "oauth2.googleapis.com")
