"""Which environment variable carries which setting in `keyvault run`.

`--env NAME=key` maps explicitly. Without it every setting in the token's scope becomes its
upper-cased key (`openai_api_key` -> OPENAI_API_KEY; '-' and '.' become '_'). Automatic names
never take over a variable that decides which code a program loads or where it looks (PATH,
LD_PRELOAD, PYTHONPATH, NODE_OPTIONS...): whoever may name a setting must not be able to run
code in every service that uses `keyvault run`. Map such a setting explicitly if it is meant.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from .protocol import check_key

_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_")
RESERVED_NAMES = frozenset(
    {
        "PATH", "HOME", "SHELL", "USER", "LOGNAME", "IFS", "ENV", "BASH_ENV", "SHELLOPTS",
        "BASHOPTS", "PS4", "CDPATH", "TMPDIR", "NODE_OPTIONS", "NODE_PATH", "RUBYOPT", "RUBYLIB",
        "PERL5OPT", "PERL5LIB", "PERLLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
        "CLASSPATH", "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    }
)  # fmt: skip
RESERVED_PREFIXES = ("LD_", "DYLD_", "PYTHON", "GIT_", "KEYVAULT_", "BASH_FUNC_")


class MappingError(ValueError):
    """A --env mapping or an automatic variable name that cannot be used."""


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
    if name[:1] not in _NAME_START or not set(name) <= _NAME_CHARACTERS:
        raise MappingError(
            f"{name!r} is not an environment variable name: use letters, digits and '_', "
            "not starting with a digit."
        )
    return name


def variable_name(key: str) -> str:
    """The automatic variable for setting `key`: upper-cased, '-' and '.' as '_'."""
    return key.upper().replace("-", "_").replace(".", "_")


def automatic_variables(keys: Iterable[str], explicit: Mapping[str, str]) -> dict[str, str]:
    """Variable name -> setting key for every setting in scope not mapped by --env."""
    mapped = set(explicit.values())
    names: dict[str, str] = {}
    for key in sorted(keys):
        if key in mapped:
            continue
        name = variable_name(key)
        if name in explicit:
            continue  # --env chose what this variable holds
        if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
            raise MappingError(
                f"Setting {key!r} would become {name}, which controls how programs run: "
                f"map it explicitly (--env {name}={key}) if that is really meant."
            )
        if name in names or name[:1] not in _NAME_START:
            raise MappingError(
                f"Setting {key!r} cannot get a variable name of its own ({name}): "
                f"map it with --env NAME={key}."
            )
        names[name] = key
    return names
