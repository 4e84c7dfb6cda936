"""`keyvault export`: the settings as a dotenv, JSON, YAML or shell file, safely quoted.

Names follow `keyvault run` (upper-cased keys, or NAME=key with --env). Every format reads
back exactly with its usual reader (python-dotenv, a YAML parser, `json.loads`, `source` in a
POSIX shell), except that python-dotenv expands `${...}` in any value: export warns of those.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

from .cli import UsageError, make_client, refuse_terminal
from .run_command import Wanted, fetch


def export(args: argparse.Namespace) -> int:
    if args.output is None:
        refuse_terminal(args.force, "--force")
    explicit = dict(args.env)
    injection = fetch(make_client(), Wanted(explicit, [], everything=not explicit))[1]
    secrets = injection.variables
    for name in sorted(injection.files):
        print(
            f"keyvault export: left out {name}: it names a file (use keyvault run)", file=sys.stderr
        )
    text = render(secrets, args.format)
    if args.format == "dotenv":
        _warn_expansion(secrets)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_private(args.output, text)
    return 0


def render(secrets: dict[str, str], format: str) -> str:
    """The variables in `format` (dotenv, json, yaml or shell), sorted by name."""
    names = sorted(secrets)
    if format == "json":
        return json.dumps({name: secrets[name] for name in names}, indent=2) + "\n"
    line = {"dotenv": _dotenv_line, "yaml": _yaml_line, "shell": _shell_line}[format]
    return "".join(line(name, secrets[name]) + "\n" for name in names)


def write_private(path: str, text: str) -> None:
    """Write `text` to `path`, readable and writable by its owner only (0600), from the first
    byte: the file is created with that mode, and an existing one is narrowed first."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def _warn_expansion(secrets: dict[str, str]) -> None:
    for name in sorted(name for name, value in secrets.items() if "${" in value):
        print(
            f"keyvault export: warning: the value of {name} holds '${{', which python-dotenv "
            "expands when it reads the file; --format shell or json keeps it exact.",
            file=sys.stderr,
        )


def _shell_line(name: str, value: str) -> str:
    return f"export {name}={shlex.quote(value)}"


def _yaml_line(name: str, value: str) -> str:
    # The name is quoted too: YAML 1.1 readers take a bare ON, YES or N for a boolean.
    return f'"{name}": "{"".join(map(_yaml_character, value))}"'


def _yaml_character(char: str) -> str:
    """One character in a YAML double-quoted scalar: printable ASCII as itself, the rest
    escaped (\\uXXXX, or \\UXXXXXXXX beyond the BMP, which YAML reads as one character)."""
    code = ord(char)
    if 0x20 <= code < 0x7F and char not in '"\\':
        return char
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _dotenv_line(name: str, value: str) -> str:
    # Single quotes keep a value as it is (docker compose does not even expand ${} in them);
    # one that holds a quote, a backslash or a line break is double-quoted with those escaped.
    if not set(value) & set("'\\\n"):
        return f"{name}='{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{name}="{escaped}"'
