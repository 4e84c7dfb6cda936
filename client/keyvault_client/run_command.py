"""`keyvault run`: fetch the settings, build the child's environment, start the command.

`--watch` (watch.py) and `--fallback` (fallback.py) are imported only when asked for.
"""

from __future__ import annotations

import os
import sys

from .cli import (
    EXIT_CANNOT_EXECUTE,
    EXIT_COMMAND_NOT_FOUND,
    UsageError,
    fail,
    make_client,
)
from .client import Client
from .config import load as load_config
from .credentials import Credential, remove_files, write_private_files
from .errors import Unavailable
from .injection import Injection, plan
from .masking import MIN_MASKED_LENGTH, masked_fragments
from .run import child_environment, exec_command, run_masked
from .variables import MappingError

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable


class Wanted:
    """What a `keyvault run` asks for: --env mappings, --credential keys, or everything."""

    __slots__ = ("credentials", "everything", "explicit")

    def __init__(self, explicit: dict[str, str], credentials: list[str], everything: bool) -> None:
        self.explicit, self.credentials, self.everything = explicit, credentials, everything

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Wanted:
        explicit, credentials = dict(args.env), list(getattr(args, "credential", []))
        return cls(explicit, credentials, args.all or not (explicit or credentials))


def run(args: argparse.Namespace) -> int:
    command = _command(args)
    wanted = Wanted.from_args(args)
    client = make_client()
    values, injection = _fetched(args, client, wanted)
    paths: list[str] = []
    try:
        if args.watch:
            from .watch import Watcher

            return Watcher(client, wanted, args).run(command, values, injection)
        environment, paths = prepare(injection, args.preserve_env)
        if args.no_mask and not paths:
            exec_command(command, environment)
        # With files, keyvault stays the parent (masking or not) to remove them at the end.
        return run_masked(command, environment, [] if args.no_mask else masked(injection.secrets))
    except FileNotFoundError:
        return fail(f"keyvault run: command not found: {command[0]}", EXIT_COMMAND_NOT_FOUND)
    except OSError as error:
        return fail(f"keyvault run: cannot run {command[0]}: {error.strerror}", EXIT_CANNOT_EXECUTE)
    finally:
        remove_files(paths)


def fetch(client: Client, wanted: Wanted) -> tuple[dict[str, str | Credential], Injection]:
    """(setting key -> value for the settings injected, the injection), in one request; one
    line on stderr per setting left out."""
    keys = [*wanted.explicit.values(), *wanted.credentials]
    values = client.get_all() if wanted.everything else client.get_many(keys)
    try:
        injection = plan(values, wanted.explicit, wanted.credentials, everything=wanted.everything)
    except MappingError as error:
        raise UsageError(str(error)) from None
    for line in injection.skipped:
        print(f"keyvault run: {line}", file=sys.stderr)
    used = set(injection.owners.values())
    return {key: value for key, value in values.items() if key in used}, injection


def prepare(injection: Injection, preserve: bool) -> tuple[dict[str, str], list[str]]:
    """The child's environment, and the private files written for it (to remove at the end)."""
    file_variables, paths = write_private_files(injection.files)
    variables = {**injection.variables, **file_variables}
    _announce_overrides(variables, preserve)
    return child_environment(os.environ, variables, preserve=preserve), paths


def masked(values: Iterable[str]) -> list[str]:
    """What to mask in the command's output; says once if some values are too short."""
    fragments, short = masked_fragments(values)
    if short:
        noun = "value is" if short == 1 else "values are"
        print(
            f"keyvault run: {short} {noun} shorter than {MIN_MASKED_LENGTH} characters and "
            "not masked in the output.",
            file=sys.stderr,
        )
    return fragments


def _command(args: argparse.Namespace) -> list[str]:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.shell_command is not None:
        if command:
            raise UsageError("give either --command 'A && B' or -- COMMAND, not both")
        return [os.environ.get("SHELL") or "/bin/sh", "-c", args.shell_command]
    if not command:
        raise UsageError("give the command to run after --, e.g. keyvault run -- ./serve")
    return list(command)


def _fetched(
    args: argparse.Namespace, client: Client, wanted: Wanted
) -> tuple[dict[str, str | Credential], Injection]:
    """From the server, else (--fallback) the last good injection (then nothing to watch)."""
    if args.fallback is None:
        return fetch(client, wanted)
    from .fallback import FallbackFile

    store = FallbackFile(args.fallback, load_config().token, args.fallback_max_age)
    try:
        values, injection = fetch(client, wanted)
    except Unavailable as error:
        return {}, store.load(error)
    store.save(injection)
    return values, injection


def _announce_overrides(variables: dict[str, str], preserve: bool) -> None:
    clashing = sorted(name for name in variables if name in os.environ)
    if clashing and not preserve:
        print(
            f"keyvault run: overriding {', '.join(clashing)} from the environment "
            "(--preserve-env keeps them)",
            file=sys.stderr,
        )
