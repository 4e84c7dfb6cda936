"""Key sets as operators handle them: generate, rotate, format, and write to an env file.

Writing never replaces a key already in the file: a lost key makes every value it encrypted
unreadable, so there is no silent overwrite.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from ..crypto import generate_key
from .key_advice import DETERMINISTIC, DETERMINISTIC_FALLBACKS, PRIMARY, PRIMARY_FALLBACKS, SALT

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(KEYVAULT_[A-Z0-9_]+)\s*=", re.MULTILINE)
_SHARED_BITS = 0o077  # any permission for group or others
KEY_VARIABLES = (PRIMARY, PRIMARY_FALLBACKS, DETERMINISTIC, DETERMINISTIC_FALLBACKS, SALT)


class KeyFileError(Exception):
    """Writing a key set would lose or expose key material; nothing was written."""


def new_key_set() -> dict[str, str]:
    """A fresh key set from the OS CSPRNG."""
    return {PRIMARY: generate_key(), DETERMINISTIC: generate_key(), SALT: generate_key()}


def rotated_key_set(
    *,
    primary: str,
    primary_fallbacks: list[str],
    deterministic: str,
    deterministic_fallbacks: list[str],
    salt: str,
    rotate_deterministic: bool = False,
) -> dict[str, str]:
    """The next key set: a new current key, the old one first among the fallbacks, same salt."""
    result = {PRIMARY: generate_key(), PRIMARY_FALLBACKS: ",".join([primary, *primary_fallbacks])}
    if rotate_deterministic:
        result[DETERMINISTIC] = generate_key()
        result[DETERMINISTIC_FALLBACKS] = ",".join([deterministic, *deterministic_fallbacks])
    else:
        result[DETERMINISTIC] = deterministic
        result[DETERMINISTIC_FALLBACKS] = ",".join(deterministic_fallbacks)
    result[SALT] = salt  # changing the salt would change every derived key at once
    return result


def format_env(values: Mapping[str, str]) -> str:
    return "".join(f"{name}={value}\n" for name, value in values.items())


def format_json(values: Mapping[str, str]) -> str:
    return json.dumps(dict(values), indent=2) + "\n"


def variables_in(path: Path) -> set[str]:
    """The KEYVAULT_* variables an env file already assigns."""
    return set(_ASSIGNMENT.findall(path.read_text())) if path.exists() else set()


def write_env_file(path: Path, values: Mapping[str, str]) -> int:
    """Append `values` to the env file at `path`, created with mode 0600 if it is missing.

    Returns the file's mode. Refuses (KeyFileError, nothing written) a file that already
    assigns one of the variables, or that group or others can access.
    """
    clashes = sorted(variables_in(path) & set(values))
    if clashes:
        raise KeyFileError(
            f"{path} already has {', '.join(clashes)}; refusing to overwrite keys (a lost key "
            "makes its values unreadable). Write to a new file, or move the old keys to a "
            "backup first."
        )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a") as handle:
        # The mode of the file actually opened, not of whatever the path named a moment ago.
        status = os.fstat(descriptor)
        mode = stat.S_IMODE(status.st_mode)
        if mode & _SHARED_BITS:
            raise KeyFileError(
                f"{path} has mode {mode:04o}: group or others can read or change it, and keys "
                f"must be readable by their owner alone. Nothing was written. Run `chmod 600 "
                f"{path}` (and consider who may have read it already), then run this again."
            )
        if status.st_size and not path.read_text().endswith("\n"):
            handle.write("\n")
        handle.write(format_env(values))
    return mode
