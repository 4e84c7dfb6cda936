"""The `keyvault` command: `run`, `get`, `set`, `list`, `export`... (see `keyvault --help`).

Errors are one line on stderr and a distinct exit status, never a traceback.
"""

from __future__ import annotations

import os
import sys

from . import plain_run
from .client import Client
from .credentials import Credential
from .errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    KeyvaultError,
    NotFound,
    ProtocolError,
    RateLimited,
    Refused,
    StructuredCredential,
    Unauthorized,
    Unavailable,
)
from .transports import StdlibTransport

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from types import SimpleNamespace

    Arguments = argparse.Namespace | SimpleNamespace  # plain_run.parse gives the latter
    from typing import NoReturn

EXIT_USAGE = 64
EXIT_NOT_FOUND = 65
EXIT_UNAVAILABLE = 69
EXIT_IO_ERROR = 74
EXIT_RATE_LIMITED = 75
EXIT_PROTOCOL = 76
EXIT_UNAUTHORIZED = 77
EXIT_CONFIGURATION = 78
EXIT_FORBIDDEN = 79
EXIT_REFUSED = 80
EXIT_CONFLICT = 81
EXIT_NOT_VALID = 82
EXIT_CANNOT_EXECUTE = 126
EXIT_COMMAND_NOT_FOUND = 127
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell tool killed by it would report

# Most specific first: RateLimited and ProtocolError are kinds of Unavailable.
_EXIT_STATUSES: tuple[tuple[type[KeyvaultError], int], ...] = (
    (NotFound, EXIT_NOT_FOUND),
    (Unauthorized, EXIT_UNAUTHORIZED),
    (Forbidden, EXIT_FORBIDDEN),
    (RateLimited, EXIT_RATE_LIMITED),
    (ProtocolError, EXIT_PROTOCOL),
    (Unavailable, EXIT_UNAVAILABLE),
    (ConfigurationError, EXIT_CONFIGURATION),
    (Refused, EXIT_REFUSED),
    (Conflict, EXIT_CONFLICT),
    (StructuredCredential, EXIT_USAGE),
)

EPILOG = f"""\
exit status:
  {EXIT_USAGE}   usage error (bad arguments; a secret to a terminal without --reveal/--force)
  {EXIT_NOT_FOUND}   unknown key (no such setting, or outside the token's scope)
  {EXIT_UNAVAILABLE}   server unreachable or failing (timeout, connection error, 5xx)
  {EXIT_IO_ERROR}   the output could not be written (a full disk, a closed file)
  {EXIT_RATE_LIMITED}   rate-limited by the server: retry later
  {EXIT_PROTOCOL}   the server's answer broke the API contract (wrong KEYVAULT_URL?)
  {EXIT_UNAUTHORIZED}   bad token (missing, unknown, expired or revoked)
  {EXIT_CONFIGURATION}   not configured (KEYVAULT_URL, KEYVAULT_TOKEN or KEYVAULT_TOKEN_FILE)
  {EXIT_FORBIDDEN}   the token is not allowed this (network, write scope, older versions)
  {EXIT_REFUSED}   the server refused the write and said why (bad value, version not restorable)
  {EXIT_CONFLICT}   --if-version did not hold: someone changed the setting meanwhile
  {EXIT_NOT_VALID}   verify: the provider does not accept the stored key
  {EXIT_CANNOT_EXECUTE}  run: the command cannot be executed
  {EXIT_COMMAND_NOT_FOUND}  run: the command was not found
  {EXIT_INTERRUPTED}  interrupted before the command started
  {EXIT_BROKEN_PIPE}  get: the reader of stdout went away
  otherwise `run` exits with the command's own status (128 + N if signal N ended it)."""


class UsageError(Exception):
    """Bad arguments: reported with the usage status."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    from . import arguments  # here: `keyvault run -- COMMAND` is read without argparse

    return arguments.build_parser(EPILOG, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    args = plain_run.parse(argv) or build_parser(argv).parse_args(argv)
    try:
        return int(_handler(args.handler)(args))
    except UsageError as error:
        return fail(f"keyvault {args.command_name}: {error}", EXIT_USAGE)
    except KeyvaultError as error:
        return fail(f"keyvault: {error}", _exit_status(error))
    except KeyboardInterrupt:
        return fail("keyvault: interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # Nobody reads stdout any more: end quietly, without a second error at exit's flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as error:  # run and export report their own; this is stdout failing
        return _unwritable(error)


def console() -> NoReturn:
    """The `keyvault` executable: `main()`, then an exit without the interpreter's teardown.

    A command has closed what it opened by then (run has removed its files); what is left is
    unloading every module, a quarter of `keyvault run -- true`'s cost (benchmark 9c)."""
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        status = EXIT_BROKEN_PIPE
    except OSError as error:
        status = _unwritable(error)
    os._exit(status)


def _unwritable(error: OSError) -> int:
    """One line for a file or the output that cannot be written, instead of a traceback."""
    reason = error.strerror or str(error)
    if error.filename:
        return fail(f"keyvault: {error.filename}: {reason}", EXIT_IO_ERROR)
    # stdout: drop what is still buffered, rather than fail again at exit's flush.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return fail(f"keyvault: cannot write the output: {reason}", EXIT_IO_ERROR)


def _handler(name: str) -> Callable[[Arguments], int]:
    """The function "module:function" names, importing its module only now."""
    from importlib import import_module

    module, function = name.split(":")
    return getattr(import_module(f"{__package__}.{module}"), function)  # type: ignore[no-any-return]


def get(args: argparse.Namespace) -> int:
    refuse_terminal(args.reveal, "--reveal")
    client, key = make_client(), checked_key(args.key)
    if args.version is None:
        value = client.get_item(key)
    else:
        value = client.get_version_item(key, args.version)
    sys.stdout.write(_printed(key, value, args.field) + "\n")
    sys.stdout.flush()
    return 0


def _printed(key: str, value: str | Credential, field: str | None) -> str:
    """The value, or its `field` (a single-key setting's one field is api_key)."""
    if field is None:
        if isinstance(value, Credential):
            raise StructuredCredential(key)
        return value
    fields = value.fields if isinstance(value, Credential) else {"api_key": value}
    if field not in fields:
        names = ", ".join(sorted(fields))
        raise UsageError(f"setting {key!r} has no field {field!r}; it has: {names}.")
    return fields[field]


def refuse_terminal(forced: bool, option: str) -> None:
    if sys.stdout.isatty() and not forced:
        raise UsageError(
            "refusing to print a secret to a terminal: pipe or redirect the output, "
            f"or add {option} to show it."
        )


def make_client() -> Client:
    # One request and exit: no cache, and the standard library's HTTP (quick to import).
    return Client(cache_seconds=0, transport=StdlibTransport)


def checked_key(key: str) -> str:
    from .protocol import check_key

    try:
        return check_key(key)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _exit_status(error: KeyvaultError) -> int:
    return next((status for kind, status in _EXIT_STATUSES if isinstance(error, kind)), 1)


def fail(message: str, status: int) -> int:
    print(message, file=sys.stderr)
    return status
