"""Reading the usage a provider reports, from a whole JSON body or from server-sent events.

Each API family reports usage its own way: OpenAI-compatible APIs in `usage` (chat completions,
and `response.usage` for the Responses API), Anthropic in `message_start` then a running total
in each `message_delta` (assigned, never added), Gemini in `usageMetadata`, Bedrock's Converse
in `usage.inputTokens`/`outputTokens` (a streamed InvokeModel also ends with Bedrock's own
`amazon-bedrock-invocationMetrics`, and a whole one carries `X-Amzn-Bedrock-*-Token-Count`
headers, whatever the model). Figures are
assigned as they arrive, so the last report wins, which is what every one of them means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPENAI, ANTHROPIC, GEMINI, CONVERSE = "openai", "anthropic", "gemini", "converse"
FAMILY_OF_PROVIDER = {"anthropic": ANTHROPIC, "gemini": GEMINI}  # every other one: OPENAI


@dataclass
class Usage:
    """What one response cost, as the provider reported it (`metered` False when it did not)."""

    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    metered: bool = False

    def observe(self, family: str, event: Any) -> None:
        """Take whatever usage and model `event` (one parsed JSON object) carries."""
        if isinstance(event, dict):
            _OBSERVERS[family](self, event)

    def assign(self, input_tokens: Any = None, output_tokens: Any = None) -> None:
        if isinstance(input_tokens, int):
            self.input_tokens, self.metered = input_tokens, True
        if isinstance(output_tokens, int):
            self.output_tokens, self.metered = output_tokens, True

    def name_model(self, model: Any) -> None:
        if isinstance(model, str) and model:
            self.model = model


def family_for(provider_slug: str) -> str:
    return FAMILY_OF_PROVIDER.get(provider_slug, OPENAI)


def _observe_openai(usage: Usage, event: dict[str, Any]) -> None:
    response = event.get("response")
    if isinstance(response, dict):  # Responses API stream events carry the response inside
        event = response
    usage.name_model(event.get("model"))
    reported = event.get("usage")
    if isinstance(reported, dict):
        usage.assign(
            reported.get("prompt_tokens", reported.get("input_tokens")),
            reported.get("completion_tokens", reported.get("output_tokens")),
        )


def _observe_anthropic(usage: Usage, event: dict[str, Any]) -> None:
    message = event.get("message") if event.get("type") == "message_start" else event
    if not isinstance(message, dict):
        return
    usage.name_model(message.get("model"))
    reported = message.get("usage") if "usage" in message else event.get("usage")
    if isinstance(reported, dict):
        usage.assign(_anthropic_input(reported), reported.get("output_tokens"))


def _anthropic_input(reported: dict[str, Any]) -> int | None:
    """Cache reads and cache writes are input too; None when this report has no input figure."""
    parts = [
        reported.get(name)
        for name in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    ]
    numbers = [part for part in parts if isinstance(part, int)]
    if not isinstance(parts[0], int):
        return None  # a message_delta without input: keep message_start's figure
    return sum(numbers)


def _observe_gemini(usage: Usage, event: dict[str, Any]) -> None:
    usage.name_model(event.get("modelVersion"))
    reported = event.get("usageMetadata")
    if isinstance(reported, dict):
        output = reported.get("candidatesTokenCount", 0) + reported.get("thoughtsTokenCount", 0)
        usage.assign(reported.get("promptTokenCount"), output)


def _observe_converse(usage: Usage, event: dict[str, Any]) -> None:
    reported = event.get("usage")
    if isinstance(reported, dict):
        parts = [
            reported.get(name)
            for name in ("inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
        ]
        given = isinstance(parts[0], int)
        usage.assign(
            sum(p for p in parts if isinstance(p, int)) if given else None,
            reported.get("outputTokens"),
        )


def observe_invocation_metrics(usage: Usage, event: Any) -> None:
    """Bedrock's own count at the end of a streamed InvokeModel, for any model."""
    metrics = event.get("amazon-bedrock-invocationMetrics") if isinstance(event, dict) else None
    if isinstance(metrics, dict):
        usage.assign(metrics.get("inputTokenCount"), metrics.get("outputTokenCount"))


def observe_invocation_header_counts(usage: Usage, headers: Mapping[str, str]) -> None:
    """Bedrock's own count in the headers of a whole InvokeModel answer, for any model."""
    usage.assign(*(_count(headers.get(f"x-amzn-bedrock-{d}-token-count")) for d in _DIRECTIONS))


_DIRECTIONS = ("input", "output")


def _count(header: str | None) -> int | None:
    return int(header) if header is not None and header.isdigit() else None


_OBSERVERS = {
    OPENAI: _observe_openai,
    ANTHROPIC: _observe_anthropic,
    GEMINI: _observe_gemini,
    CONVERSE: _observe_converse,
}
