"""The provider registry: every LLM provider keyvault knows, in one table.

Adding a provider is one `Provider(...)` entry in PROVIDERS. Each entry says how its keys look
(prefixes, as hints) and how to check a key with its cheapest authenticated call (never a
completion). Base URLs are fixed here and overridable only by configuration
(`KEYVAULT_<SLUG>_BASE_URL`), never by a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

OTHER = "other"
MAX_VALUE_LENGTH = 4096  # far above any provider's key; stops pasted documents
MIN_VALUE_LENGTH = 8


@dataclass(frozen=True)
class Provider:
    """One LLM provider: how its keys look and how to verify one."""

    slug: str
    name: str
    setting_key: str
    base_url: str
    verify_method: str
    verify_path: str
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"  # "" sends the bare key in auth_header
    extra_headers: tuple[tuple[str, str], ...] = ()
    key_prefixes: tuple[str, ...] = ()
    # (prefix, reason): keys that must never be stored where a runtime key is expected.
    refused_prefixes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def base_url_setting(self) -> str:
        return f"KEYVAULT_{self.slug.upper()}_BASE_URL"


PROVIDERS: dict[str, Provider] = {
    p.slug: p
    for p in (
        Provider(
            slug="openai",
            name="OpenAI",
            setting_key="openai_api_key",
            base_url="https://api.openai.com",
            verify_method="GET",
            verify_path="/v1/models",
            key_prefixes=("sk-proj-", "sk-svcacct-", "sk-"),
            refused_prefixes=(
                (
                    "sk-admin-",
                    "this is an OpenAI admin key, which manages the organisation; store a "
                    "project key (sk-proj-...) instead",
                ),
            ),
        ),
        Provider(
            slug="anthropic",
            name="Anthropic",
            setting_key="anthropic_api_key",
            base_url="https://api.anthropic.com",
            verify_method="GET",
            verify_path="/v1/models",
            auth_header="x-api-key",
            auth_scheme="",
            extra_headers=(("anthropic-version", "2023-06-01"),),
            key_prefixes=("sk-ant-api",),
            refused_prefixes=(
                (
                    "sk-ant-admin",
                    "this is an Anthropic Admin API key, which manages the organisation; store "
                    "an API key (sk-ant-api03-...) instead",
                ),
            ),
        ),
        Provider(
            slug="gemini",
            name="Google Gemini",
            setting_key="gemini_api_key",
            base_url="https://generativelanguage.googleapis.com",
            verify_method="GET",
            verify_path="/v1beta/models",
            auth_header="x-goog-api-key",
            auth_scheme="",
            key_prefixes=("AIza",),
        ),
        Provider(
            slug="mistral",
            name="Mistral",
            setting_key="mistral_api_key",
            base_url="https://api.mistral.ai",
            verify_method="GET",
            verify_path="/v1/models",
        ),
        Provider(
            slug="groq",
            name="Groq",
            setting_key="groq_api_key",
            base_url="https://api.groq.com",
            verify_method="GET",
            verify_path="/openai/v1/models",
            key_prefixes=("gsk_",),
        ),
        Provider(
            slug="cohere",
            name="Cohere",
            setting_key="cohere_api_key",
            base_url="https://api.cohere.com",
            verify_method="POST",
            verify_path="/v1/check-api-key",
        ),
        Provider(
            slug="openrouter",
            name="OpenRouter",
            setting_key="openrouter_api_key",
            base_url="https://openrouter.ai",
            verify_method="GET",
            verify_path="/api/v1/key",
            key_prefixes=("sk-or-",),
        ),
        Provider(
            slug="deepseek",
            name="DeepSeek",
            setting_key="deepseek_api_key",
            base_url="https://api.deepseek.com",
            verify_method="GET",
            verify_path="/user/balance",
            key_prefixes=("sk-",),
        ),
        Provider(
            slug="xai",
            name="xAI",
            setting_key="xai_api_key",
            base_url="https://api.x.ai",
            verify_method="GET",
            verify_path="/v1/api-key",
            key_prefixes=("xai-",),
        ),
    )
}

CHOICES = [(p.slug, p.name) for p in PROVIDERS.values()] + [(OTHER, "Other")]


def get_provider(slug: str) -> Provider | None:
    return PROVIDERS.get(slug)


def provider_for_key(setting_key: str, default: str = OTHER) -> str:
    """The provider whose conventional setting key is `setting_key`, else `default`.

    The one rule for a provider nobody chose: `openai_api_key` is OpenAI's, and an unknown
    name leaves the provider as it was (`default`), "other" when there was none.
    """
    for provider in PROVIDERS.values():
        if provider.setting_key == setting_key:
            return provider.slug
    return default


def clean_whitespace(value: str) -> str:
    """The one whitespace rule, for saving and for searching: trim the ends (copy-paste debris),
    keep everything inside exactly as typed."""
    return value.strip()


def clean_value(provider_slug: str, value: str) -> str:
    """Trim a pasted key and refuse what cannot be right, saying why; never rewrite it.

    A registered provider's keys never contain whitespace, so inner whitespace is refused for
    them; an "other" value keeps its inner spaces and line breaks. Messages never quote the value.
    """
    cleaned = clean_whitespace(value)
    if len(cleaned) < MIN_VALUE_LENGTH:
        raise ValidationError(
            f"The key is too short ({len(cleaned)} characters); paste the whole key.",
            code="too_short",
        )
    if len(cleaned) > MAX_VALUE_LENGTH:
        raise ValidationError(
            f"The key is too long ({len(cleaned)} characters, at most {MAX_VALUE_LENGTH}); "
            "paste only the key.",
            code="too_long",
        )
    provider = get_provider(provider_slug)
    if provider is None:
        return cleaned
    if any(char.isspace() for char in cleaned):
        raise ValidationError(
            f"{provider.name} keys never contain spaces or line breaks, and this one does; "
            "paste the key again in one piece.",
            code="inner_whitespace",
        )
    for prefix, reason in provider.refused_prefixes:
        if cleaned.startswith(prefix):
            raise ValidationError(f"Refused: {reason}.", code="admin_key")
    return cleaned


def prefix_hint(provider_slug: str, value: str) -> str | None:
    """A warning (not a refusal) when a key lacks its provider's usual prefix."""
    provider = get_provider(provider_slug)
    if provider is None or not provider.key_prefixes or value.startswith(provider.key_prefixes):
        return None
    expected = " or ".join(f"'{p}'" for p in provider.key_prefixes)
    return (
        f"{provider.name} keys usually start with {expected}; this one does not. Check that "
        "the right key was pasted, or that the provider is right."
    )


@dataclass(frozen=True)
class PrefixContradiction:
    """A key starts with `prefix`, which only `owners` use: not its provider's kind of key."""

    prefix: str
    owners: tuple[Provider, ...]

    @property
    def owner_names(self) -> str:
        return " or ".join(owner.name for owner in self.owners)


def contradicting_prefix(provider_slug: str, value: str) -> PrefixContradiction | None:
    """The prefix that makes `value` another provider's key, if any.

    A value contradicts its provider when the most specific registry prefix it starts with
    (key or refused prefixes, longest first) belongs to other providers only: `sk-ant-api...`
    is Anthropic's even though it also starts with OpenAI's `sk-`, while a bare `sk-...`,
    shared by OpenAI and DeepSeek, contradicts neither of them. "Other" contradicts nothing.
    """
    if get_provider(provider_slug) is None:
        return None
    matching = [prefix for prefix in _PREFIX_OWNERS if value.startswith(prefix)]
    if not matching:
        return None
    prefix = max(matching, key=len)
    owners = _PREFIX_OWNERS[prefix]
    if any(owner.slug == provider_slug for owner in owners):
        return None
    return PrefixContradiction(prefix, owners)


def _prefix_owners() -> dict[str, tuple[Provider, ...]]:
    owners: dict[str, list[Provider]] = {}
    for provider in PROVIDERS.values():
        refused = tuple(prefix for prefix, _ in provider.refused_prefixes)
        for prefix in dict.fromkeys(provider.key_prefixes + refused):
            owners.setdefault(prefix, []).append(provider)
    return {prefix: tuple(found) for prefix, found in owners.items()}


_PREFIX_OWNERS = _prefix_owners()
