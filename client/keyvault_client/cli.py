"""The `keyvault` command: `keyvault run -- cmd` and `keyvault get KEY` (see `keyvault --help`).

Errors are one line on stderr and a distinct exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence

from . import __version__
from .client import Client
from .credentials import remove_files, write_private_files
from .errors import (
    ConfigurationError,
    Forbidden,
    KeyvaultError,
    NotFound,
    ProtocolError,
    RateLimited,
    StructuredCredential,
    Unauthorized,
    Unavailable,
)
from .injection import Injection, plan
from .masking import MIN_MASKED_LENGTH, masked_fragments
from .run import child_environment, exec_command, run_masked
from .transports import StdlibTransport
from .variables import MappingError, parse_mapping

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from typing import NoReturn

EXIT_USAGE = 64
EXIT_NOT_FOUND = 65
EXIT_UNAVAILABLE = 69
EXIT_RATE_LIMITED = 75
EXIT_PROTOCOL = 76
EXIT_UNAUTHORIZED = 77
EXIT_CONFIGURATION = 78
EXIT_FORBIDDEN = 79
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
    (StructuredCredential, EXIT_USAGE),
)

DESCRIPTION = """\
Read settings from a keyvault server with a service token, without writing them to a file.
Configuration: KEYVAULT_URL (the site root) and KEYVAULT_TOKEN or KEYVAULT_TOKEN_FILE."""

EPILOG = f"""\
exit status:
  {EXIT_USAGE}   usage error (bad arguments; `get` to a terminal without --reveal)
  {EXIT_NOT_FOUND}   unknown key (no such setting, or outside the token's scope)
  {EXIT_UNAVAILABLE}   server unreachable or failing (timeout, connection error, 5xx)
  {EXIT_RATE_LIMITED}   rate-limited by the server: retry later
  {EXIT_PROTOCOL}   the server's answer broke the API contract (wrong KEYVAULT_URL?)
  {EXIT_UNAUTHORIZED}   bad token (missing, unknown, expired or revoked)
  {EXIT_CONFIGURATION}   not configured (KEYVAULT_URL, KEYVAULT_TOKEN or KEYVAULT_TOKEN_FILE)
  {EXIT_FORBIDDEN}   the token is not allowed from this network
  {EXIT_CANNOT_EXECUTE}  run: the command cannot be executed
  {EXIT_COMMAND_NOT_FOUND}  run: the command was not found
  {EXIT_INTERRUPTED}  interrupted before the command started
  {EXIT_BROKEN_PIPE}  get: the reader of stdout went away
  otherwise `run` exits with the command's own status (128 + N if signal N ended it)."""

RUN_HELP = """\
Fetch settings in one request, then run COMMAND (directly, no shell) with them as environment
variables. KEYVAULT_TOKEN and KEYVAULT_TOKEN_FILE are removed from its environment. Every
fetched value in its stdout and stderr is replaced by *** unless --no-mask is given.
A structured credential (Azure OpenAI, Bedrock, Vertex AI...) sets every variable its SDKs
read; a file it needs (GOOGLE_APPLICATION_CREDENTIALS) is written 0600 and removed when the
command exits, also on SIGINT or SIGTERM."""


class UsageError(Exception):
    """Bad arguments: reported with the usage status."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """A fixed width: asking for the terminal's would import shutil and slow every start."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keyvault",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"keyvault {__version__}")
    commands = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run a command with settings in its environment",
                              description=RUN_HELP, epilog=EPILOG,
                              formatter_class=_Formatter)  # fmt: skip
    run.add_argument(
        "--env",
        action="append",
        default=[],
        type=_mapping,
        metavar="NAME=key",
        help="put setting `key` in variable NAME (repeatable); without --env, every setting "
        "in the token's scope goes in its upper-cased key, e.g. OPENAI_API_KEY, if that is a "
        "provider SDK's variable or ends in _API_KEY, _TOKEN or _SECRET",
    )
    run.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="KEY",
        help="inject structured credential KEY whole: its variables and files (repeatable)",
    )
    run.add_argument("--all", action="store_true", help="also every other setting in scope")
    run.add_argument("--no-mask", action="store_true", help="pass the output through untouched")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    run.set_defaults(handler=_run)
    get = commands.add_parser("get", help="print one value (for scripts)",
                              description="Print the value of setting KEY on stdout.",
                              epilog=EPILOG,
                              formatter_class=_Formatter)  # fmt: skip
    get.add_argument("key", metavar="KEY")
    get.add_argument("--reveal", action="store_true", help="print even to a terminal")
    get.add_argument("--field", metavar="NAME", help="one field of a structured credential")
    get.set_defaults(handler=_get)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except UsageError as error:
        return _fail(f"keyvault {args.command_name}: {error}", EXIT_USAGE)
    except KeyvaultError as error:
        return _fail(f"keyvault: {error}", _exit_status(error))
    except KeyboardInterrupt:
        return _fail("keyvault: interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # Nobody reads stdout any more: end quietly, without a second error at exit's flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _get(args: argparse.Namespace) -> int:
    if sys.stdout.isatty() and not args.reveal:
        raise UsageError(
            "refusing to print a secret to a terminal: pipe or redirect the output, "
            "or add --reveal to show it."
        )
    key = _key(args.key)
    value = _client().get_credential(key).fields if args.field else _client().get(key)
    if isinstance(value, dict):
        if args.field not in value:
            names = ", ".join(sorted(value))
            raise UsageError(f"setting {key!r} has no field {args.field!r}; it has: {names}.")
        value = value[args.field]
    sys.stdout.write(value + "\n")
    sys.stdout.flush()
    return 0


def _run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise UsageError("give the command to run after --, e.g. keyvault run -- ./serve")
    explicit = dict(args.env)
    everything = args.all or not (explicit or args.credential)
    injection = _fetch(_client(), explicit, args.credential, everything=everything)
    paths: list[str] = []
    try:
        file_variables, paths = write_private_files(injection.files)
        environment = child_environment(os.environ, {**injection.variables, **file_variables})
        if args.no_mask and not paths:
            exec_command(command, environment)
        # With files, keyvault stays the parent (masking or not) to remove them at the end.
        return run_masked(command, environment, [] if args.no_mask else _masked(injection.secrets))
    except FileNotFoundError:
        return _fail(f"keyvault run: command not found: {command[0]}", EXIT_COMMAND_NOT_FOUND)
    except OSError as error:
        return _fail(
            f"keyvault run: cannot run {command[0]}: {error.strerror}", EXIT_CANNOT_EXECUTE
        )
    finally:
        remove_files(paths)


def _masked(values: Iterable[str]) -> list[str]:
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


def _fetch(
    client: Client, explicit: dict[str, str], credentials: list[str], *, everything: bool
) -> Injection:
    """What the child gets, fetched in one request."""
    wanted = [*explicit.values(), *credentials]
    values = client.get_all() if everything else client.get_many(wanted)
    try:
        injection = plan(values, explicit, credentials, everything=everything)
    except MappingError as error:
        raise UsageError(str(error)) from None
    for line in injection.skipped:
        print(f"keyvault run: {line}", file=sys.stderr)
    return injection


def _client() -> Client:
    # One request and exit: no cache, and the standard library's HTTP (quick to import).
    return Client(cache_seconds=0, transport=StdlibTransport)


def _key(key: str) -> str:
    from .protocol import check_key

    try:
        return check_key(key)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _mapping(text: str) -> tuple[str, str]:
    try:
        return parse_mapping(text)
    except MappingError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _exit_status(error: KeyvaultError) -> int:
    return next((status for kind, status in _EXIT_STATUSES if isinstance(error, kind)), 1)


def _fail(message: str, status: int) -> int:
    print(message, file=sys.stderr)
    return status
