"""The Rails app's key set, from a keys file or the environment — never from the command line.

A keys file holds either what `bin/rails db:encryption:init` prints (YAML, an
`active_record_encryption:` block; `primary_key` may be a list, oldest first, when keys were
rotated) or `ACTIVE_RECORD_ENCRYPTION__PRIMARY_KEY=...` lines (Rails' own double-underscore names;
the single-underscore spelling many apps use works too). A file that group or others can read
is refused: it holds every key of the Rails app.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dotenv.parser import parse_stream

from .errors import RailsKeysError
from .rails_crypto import RailsKeySet

SECTION = "active_record_encryption"
FIELDS = ("primary_key", "deterministic_key", "key_derivation_salt")
ENV_PREFIXES = ("ACTIVE_RECORD_ENCRYPTION__", "ACTIVE_RECORD_ENCRYPTION_")
MAX_FILE_BYTES = 64 * 1024
_PRIVATE_MODE_BITS = stat.S_IRWXG | stat.S_IRWXO


def load_keys_file(path: Path) -> RailsKeySet:
    """The key set in the file at `path`, which only its owner may read."""
    return parse_keys_text(read_private_file(path), origin=str(path))


def read_private_file(path: Path) -> str:
    """The text of `path`, refused when group or others have any access to it."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode  # of the file opened, not of a swapped path
            if mode & _PRIVATE_MODE_BITS:
                raise RailsKeysError(
                    f"{path} holds encryption keys but other users can access it (mode "
                    f"{stat.filemode(mode)}); run `chmod 600 {path}` and try again."
                )
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise RailsKeysError(f"Cannot read the keys file {path}: {error.strerror}.") from None
    if len(raw) > MAX_FILE_BYTES:
        raise RailsKeysError(f"{path} is over {MAX_FILE_BYTES} bytes: not a keys file.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RailsKeysError(f"{path} is not UTF-8 text: not a keys file.") from None


def keys_from_environment(environ: Mapping[str, str]) -> RailsKeySet:
    """The key set in ACTIVE_RECORD_ENCRYPTION_* variables of `environ`."""
    return _key_set(_from_variables(environ), origin="the environment")


def parse_keys_text(text: str, *, origin: str) -> RailsKeySet:
    """A key set from `ACTIVE_RECORD_ENCRYPTION_*=` lines, else from Rails' YAML."""
    # python-dotenv's parser, quietly: YAML lines are expected not to parse as env lines.
    bindings = parse_stream(io.StringIO(text))
    found = _from_variables({b.key: b.value for b in bindings if b.key and b.value is not None})
    if found:
        return _key_set(found, origin=origin)
    return _key_set(_from_yaml(text, origin), origin=origin)


def _from_variables(variables: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in FIELDS:
        for prefix in ENV_PREFIXES:
            value = variables.get(prefix + name.upper())
            if value:
                found.setdefault(name, value)
    return found


def _from_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        # BaseLoader keeps every scalar a string: a key like 0123 or 1e10 stays exactly itself.
        document = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise RailsKeysError(f"{origin} is neither YAML nor env lines{where}.") from None
    sections = list(_sections(document))
    if len(sections) > 1:
        raise RailsKeysError(
            f"{origin} holds {len(sections)} key sets; keep one per file and pass "
            "--keys-file once for each."
        )
    return sections[0] if sections else {}


def _sections(node: Any) -> list[dict[str, Any]]:
    """Mappings that hold Rails keys: the block itself, or nested inside others."""
    if not isinstance(node, dict):
        return []
    if any(name in node for name in FIELDS):
        return [node]
    return [found for child in node.values() for found in _sections(child)]


def _key_set(found: Mapping[str, Any], *, origin: str) -> RailsKeySet:
    missing = [name for name in ("primary_key", "key_derivation_salt") if not found.get(name)]
    if missing:
        raise RailsKeysError(
            f"No Rails {' and no '.join(missing)} in {origin}. Give a keys file with the "
            f"`{SECTION}:` block that `bin/rails db:encryption:init` printed, or "
            "ACTIVE_RECORD_ENCRYPTION__PRIMARY_KEY, ..._DETERMINISTIC_KEY and "
            "..._KEY_DERIVATION_SALT variables."
        )
    primary = found["primary_key"]
    primary_keys = tuple(primary) if isinstance(primary, list) else (primary,)
    deterministic = found.get("deterministic_key") or None
    values = [*primary_keys, deterministic, found["key_derivation_salt"]]
    if not all(isinstance(value, str | None) for value in values):
        raise RailsKeysError(f"{origin}: every key must be text (primary_key may be a list).")
    return RailsKeySet(primary_keys, deterministic, found["key_derivation_salt"])
