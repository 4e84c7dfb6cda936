"""What the gateway learns from, and changes in, a request body before it goes upstream.

Only one change is ever made: a streamed OpenAI-compatible chat completion that left
`stream_options.include_usage` unset gets it set, so the provider reports usage at the end of
the stream (the Meter removes that extra chunk again). Everything else is sent byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .usage import OPENAI

# Providers whose OpenAI-compatible chat completions accept stream_options.
INCLUDE_USAGE_PROVIDERS = frozenset({"openai", "groq", "openrouter", "deepseek", "xai"})


@dataclass(frozen=True)
class PreparedBody:
    body: bytes
    model: str  # the request's model, used when the response names none
    injected_usage: bool  # True when the gateway set stream_options.include_usage


def prepare(
    provider_slug: str, family: str, path: str, body: bytes, *, asks_usage: bool | None = None
) -> PreparedBody:
    """`asks_usage` says whether the provider accepts stream_options (default: by its slug)."""
    parsed = _json_object(body)
    model = _request_model(parsed, path)
    if asks_usage is None:
        asks_usage = provider_slug in INCLUDE_USAGE_PROVIDERS
    if (
        family == OPENAI
        and asks_usage
        and path.endswith("/chat/completions")
        and parsed is not None
        and parsed.get("stream") is True
        and not _has_usage_option(parsed)
    ):
        options = parsed.get("stream_options")
        options = dict(options) if isinstance(options, dict) else {}
        options["include_usage"] = True
        rewritten = json.dumps({**parsed, "stream_options": options}).encode()
        return PreparedBody(rewritten, model, injected_usage=True)
    return PreparedBody(body, model, injected_usage=False)


def _has_usage_option(parsed: dict[str, Any]) -> bool:
    options = parsed.get("stream_options")
    return isinstance(options, dict) and "include_usage" in options


def _request_model(parsed: dict[str, Any] | None, path: str) -> str:
    model = parsed.get("model") if parsed is not None else None
    if isinstance(model, str):
        return model
    # Gemini and Vertex name the model in the path: /v1beta/models/gemini-2.0-flash:generate…,
    # Bedrock too: /model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke
    _, found, rest = path.partition("/models/")
    if found:
        return rest.split(":", 1)[0].split("/", 1)[0]
    _, found, rest = path.partition("/model/")
    return unquote(rest.split("/", 1)[0]) if found else ""


def _json_object(body: bytes) -> dict[str, Any] | None:
    if body.lstrip()[:1] != b"{":
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
