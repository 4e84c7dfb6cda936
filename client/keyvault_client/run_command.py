"""`keyvault run`: fetch the settings, build the child's environment, start the command.

`--watch` (watch.py) and `--fallback` (fallback.py) are imported only when asked for.
"""

from __future__ import annotations

import argparse
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
from .errors import NotFound, Unavailable
from .run import child_environment, exec_command, run_masked
from .variables import MappingError, automatic_variables


def run(args: argparse.Namespace) -> int:
    command = _command(args)
    explicit = dict(args.env)
    everything = args.all or not explicit
    client = make_client()
    keys, secrets = _secrets(args, client, explicit, everything)
    environment = child_environment(os.environ, secrets, preserve=args.preserve_env)
    _announce_overrides(secrets, args.preserve_env)
    try:
        if args.watch:
            from .watch import Watcher

            watcher = Watcher(client, explicit, everything, args)
            return watcher.run(command, environment, keys, secrets)
        if args.no_mask:
            exec_command(command, environment)
        return run_masked(command, environment, list(secrets.values()))
    except FileNotFoundError:
        return fail(f"keyvault run: command not found: {command[0]}", EXIT_COMMAND_NOT_FOUND)
    except OSError as error:
        return fail(f"keyvault run: cannot run {command[0]}: {error.strerror}", EXIT_CANNOT_EXECUTE)


def fetch(client: Client, explicit: dict[str, str], *, everything: bool) -> dict[str, str]:
    """Variable name -> value, fetched in one request."""
    return fetch_named(client, explicit, everything=everything)[1]


def fetch_named(
    client: Client, explicit: dict[str, str], *, everything: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """(variable name -> setting key, variable name -> value), fetched in one request."""
    if not everything:
        values = client.get_many(explicit.values())
        return dict(explicit), {name: values[key] for name, key in explicit.items()}
    values = client.get_all()
    missing = [key for key in explicit.values() if key not in values]
    if missing:
        raise NotFound(missing)
    try:
        names = automatic_variables(values, explicit)
    except MappingError as error:
        raise UsageError(str(error)) from None
    names.update(explicit)
    return names, {name: values[key] for name, key in names.items()}


def _command(args: argparse.Namespace) -> list[str]:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.shell_command is not None:
        if command:
            raise UsageError("give either --command 'A && B' or -- COMMAND, not both")
        return [os.environ.get("SHELL") or "/bin/sh", "-c", args.shell_command]
    if not command:
        raise UsageError("give the command to run after --, e.g. keyvault run -- ./serve")
    return list(command)


def _secrets(
    args: argparse.Namespace, client: Client, explicit: dict[str, str], everything: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """(name -> key, name -> value): from the server, else (--fallback) from the last good."""
    if args.fallback is None:
        return fetch_named(client, explicit, everything=everything)
    from .fallback import FallbackFile

    store = FallbackFile(args.fallback, load_config().token, args.fallback_max_age)
    try:
        keys, secrets = fetch_named(client, explicit, everything=everything)
    except Unavailable as error:
        return {}, store.load(error)  # nothing to watch until the server answers again
    store.save(secrets)
    return keys, secrets


def _announce_overrides(secrets: dict[str, str], preserve: bool) -> None:
    clashing = sorted(name for name in secrets if name in os.environ)
    if not clashing:
        return
    if not preserve:
        print(
            f"keyvault run: overriding {', '.join(clashing)} from the environment "
            "(--preserve-env keeps them)",
            file=sys.stderr,
        )
