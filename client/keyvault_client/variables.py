"""Which environment variable carries which setting in `keyvault run`.

`--env NAME=key` maps explicitly. Without it a setting in the token's scope becomes its
upper-cased key (`openai_api_key` -> OPENAI_API_KEY; '-' and '.' become '_'), but only when
that name is on an allow-list: the variables the registered providers' SDKs read and names
ending in _API_KEY, _TOKEN or _SECRET. Whoever may name a setting must not be able to set
SSLKEYLOGFILE, LD_PRELOAD or GLIBC_TUNABLES in every service that uses `keyvault run`. A
setting whose name is not allowed, unusable or taken by another is skipped with one line
saying so; the run goes on.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from .protocol import check_key

_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_")
# The credential variables the SDKs of the registered providers read.
PROVIDER_VARIABLES = frozenset(
    {
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
        "MISTRAL_API_KEY", "GROQ_API_KEY", "CO_API_KEY", "COHERE_API_KEY", "OPENROUTER_API_KEY",
        "DEEPSEEK_API_KEY", "XAI_API_KEY",
    }
)  # fmt: skip
AUTOMATIC_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")
OWN_PREFIX = "KEYVAULT_"  # keyvault's own configuration is never set from a setting


class MappingError(ValueError):
    """A --env mapping that cannot be used."""


def parse_mapping(text: str) -> tuple[str, str]:
    """`NAME=key` from the command line as (NAME, key); MappingError saying what is wrong."""
    name, equals, key = text.partition("=")
    if not equals or not name or not key:
        raise MappingError(
            f"--env takes NAME=key, e.g. OPENAI_API_KEY=openai_api_key; got {text!r}"
        )
    check_name(name)
    try:
        check_key(key)
    except ValueError as error:
        raise MappingError(f"--env {name}=...: {error}") from None
    return name, key


def check_name(name: str) -> str:
    if not is_variable_name(name):
        raise MappingError(
            f"{name!r} is not an environment variable name: use letters, digits and '_', "
            "not starting with a digit."
        )
    return name


def is_variable_name(name: str) -> bool:
    return name[:1] in _NAME_START and set(name) <= _NAME_CHARACTERS


def variable_name(key: str) -> str:
    """The automatic variable for setting `key`: upper-cased, '-' and '.' as '_'."""
    return key.upper().replace("-", "_").replace(".", "_")


def is_automatic(name: str) -> bool:
    """Whether a setting may set variable `name` without an explicit --env."""
    if name.startswith(OWN_PREFIX):
        return False
    return name in PROVIDER_VARIABLES or name.endswith(AUTOMATIC_SUFFIXES)


def automatic_variables(
    keys: Iterable[str], explicit: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Variable name -> setting key for the settings in scope not mapped by --env, and one
    line for each setting skipped (its name not allowed, unusable or taken by another)."""
    mapped = set(explicit.values())
    candidates: dict[str, list[str]] = {}
    for key in sorted(set(keys) - mapped):
        name = variable_name(key)
        if name not in explicit:  # else --env chose what this variable holds
            candidates.setdefault(name, []).append(key)
    names: dict[str, str] = {}
    skipped: list[str] = []
    for name, claimants in candidates.items():
        chosen = _choose(name, claimants)
        skipped += [_skip_reason(key, name, chosen) for key in claimants if key != chosen]
        if chosen is not None:
            names[name] = chosen
    return names, skipped


def _choose(name: str, claimants: list[str]) -> str | None:
    """The one setting that gets variable `name`: the plain lower-cased key if it is usable."""
    if not is_variable_name(name) or not is_automatic(name):
        return None
    if len(claimants) == 1:
        return claimants[0]
    return name.lower() if name.lower() in claimants else None


def _skip_reason(key: str, name: str, chosen: str | None) -> str:
    if not is_variable_name(name):
        return (
            f"skipped setting {key!r}: {name} is not a variable name; map it with --env NAME={key}"
        )
    if not is_automatic(name):
        return (
            f"skipped setting {key!r}: {name} is set only when asked for (automatic names are "
            f"provider SDK variables and *{'/*'.join(AUTOMATIC_SUFFIXES)}); map it with "
            f"--env {name}={key}"
        )
    other = chosen or "another setting"
    return (
        f"skipped setting {key!r}: its variable {name} is also that of {other!r}; map it "
        f"with --env NAME={key}"
    )
