"""Which provider a key belongs to, judged by the name it had where it came from.

`OPENAI_API_KEY` (a .env variable) and `openai_api_key` (a Rails column) both mean OpenAI; the
variables the providers' own SDKs read (`GOOGLE_API_KEY`, `CO_API_KEY`) count too. Anything
else falls back to a provider slug at the start of the name, then to "other".
"""

from __future__ import annotations

from settings_app import providers

# The variables each provider's documentation and SDK read, mapped to registry slugs.
KNOWN_VARIABLES: dict[str, str] = {
    "OPENAI_API_KEY": "openai",
    "ANTHROPIC_API_KEY": "anthropic",
    "GEMINI_API_KEY": "gemini",
    "GOOGLE_API_KEY": "gemini",
    "MISTRAL_API_KEY": "mistral",
    "GROQ_API_KEY": "groq",
    "COHERE_API_KEY": "cohere",
    "CO_API_KEY": "cohere",
    "OPENROUTER_API_KEY": "openrouter",
    "DEEPSEEK_API_KEY": "deepseek",
    "XAI_API_KEY": "xai",
}
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")


def provider_for_name(name: str) -> str:
    """The provider slug a key called `name` belongs to, else providers.OTHER."""
    known = KNOWN_VARIABLES.get(name.upper())
    if known is not None:
        return known
    lowered = name.lower()
    conventional = providers.provider_for_key(lowered)
    if conventional != providers.OTHER:
        return conventional
    for slug in providers.PROVIDERS:
        if lowered.startswith(f"{slug}_"):
            return slug
    return providers.OTHER


def is_known_variable(name: str) -> bool:
    return name.upper() in KNOWN_VARIABLES


def looks_like_secret(name: str) -> bool:
    """`*_API_KEY`, `*_TOKEN` and `*_SECRET` names; `DEBUG` and the like are not secrets."""
    return name.upper().endswith(SECRET_SUFFIXES)


def setting_key_for(name: str) -> str:
    """The keyvault setting a source name becomes: its lower-case spelling."""
    return name.lower()
