"""The `keyvault` command line's grammar: every command, option and help text, in one parser.

Handlers are named, not imported ("module:function"): `cli.main` imports only the one a
command needs, so `keyvault run` does not pay for `export`, `completion` or `--fallback`.
"""

from __future__ import annotations

import argparse

from .cli import EXIT_USAGE
from .plain_run import DEFAULTS as RUN_DEFAULTS
from .variables import MappingError, parse_mapping

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

FORMATS = ("dotenv", "json", "yaml", "shell")

DESCRIPTION = """\
Read and write settings on a keyvault server with a service token, without writing them to a
file. Configuration: KEYVAULT_URL (the site root) and KEYVAULT_TOKEN or KEYVAULT_TOKEN_FILE;
HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured."""

RUN_HELP = """\
Fetch settings in one request, then run COMMAND (directly, no shell) with them as environment
variables. KEYVAULT_TOKEN and KEYVAULT_TOKEN_FILE are removed from its environment. Every
fetched value in its stdout and stderr is replaced by *** unless --no-mask is given.
A structured credential (Azure OpenAI, Bedrock, Vertex AI...) sets every variable its SDKs
read; a file it needs (GOOGLE_APPLICATION_CREDENTIALS) is written 0600 and removed when the
command exits, also on SIGINT or SIGTERM."""

SET_HELP = """\
Store a new version of setting KEY (created if missing). The value is read from standard input,
never from the command line; at a terminal it is prompted for without echo. Prints the new
version number. Needs a token with a write scope.

A structured credential (Azure OpenAI, Bedrock, Vertex AI) takes --fields, a JSON object on
standard input:  keyvault set azure_prod --fields --provider azure_openai < azure.json
Changing a routing field (resource, region, project...) needs every secret in the same write."""

EXPORT_HELP = """\
Print the settings in the token's scope (or those named with --env) as a dotenv, JSON, YAML or
shell file, named as `keyvault run` names them. Refuses to print to a terminal unless --force;
--output FILE writes the file readable by its owner only (mode 0600)."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """A fixed width: asking for the terminal's would import shutil and slow every start."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    """--version on stdout (argparse's own "version" action prints nothing else)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print keyvault's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from . import __version__

        print(f"keyvault {__version__}")  # on stdout, as --version does everywhere
        parser.exit(0)


def build_parser(epilog: str, argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the sub-parser `argv` asks for when it names a command (building all
    of them costs `keyvault run` milliseconds at every start, benchmark 9c)."""
    parser = _Parser(
        prog="keyvault", description=DESCRIPTION, epilog=epilog, formatter_class=_Formatter
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    wanted = _command_named(argv)
    for name, (handler, help, description, add_arguments) in COMMANDS.items():
        if wanted is None or name == wanted:
            sub = commands.add_parser(
                name, help=help, epilog=epilog, formatter_class=_Formatter,
                description=description or help[:1].upper() + help[1:] + ".",
            )  # fmt: skip
            sub.set_defaults(handler=handler)
            add_arguments(sub)
    return parser


def _command_named(argv: Sequence[str] | None) -> str | None:
    """The command `argv` starts with, if it is one (else every command is built)."""
    if not argv or argv[0] not in COMMANDS:
        return None
    return argv[0]


def _run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--env", action="append", default=[], type=_mapping, metavar="NAME=key",
        help="put setting `key` in variable NAME (repeatable); without --env, every "
        "setting in the token's scope goes in its upper-cased key, e.g. OPENAI_API_KEY, if "
        "that is a provider SDK's variable or ends in _API_KEY, _TOKEN or _SECRET",
    )  # fmt: skip
    run.add_argument(
        "--credential", action="append", default=[], metavar="KEY",
        help="inject structured credential KEY whole: its variables and files (repeatable)",
    )  # fmt: skip
    run.add_argument("--all", action="store_true", help="also every other setting in scope")
    run.add_argument("--no-mask", action="store_true", help="pass the output through untouched")
    run.add_argument(
        "--preserve-env", action="store_true",
        help="keep variables already set instead of overriding them",
    )  # fmt: skip
    run.add_argument(
        "--command", dest="shell_command", metavar="'A && B'",
        help="run this through $SHELL (or /bin/sh) instead of -- COMMAND",
    )  # fmt: skip
    run.add_argument(
        "--watch", action="store_true",
        help="restart the command (SIGTERM, then SIGKILL after --watch-grace) when an injected "
        "value changes",
    )  # fmt: skip
    run.add_argument(
        "--watch-interval", type=_seconds, default=RUN_DEFAULTS["watch_interval"],
        metavar="SECONDS",
        help="how often --watch asks (default 30; an unchanged value costs a 304)",
    )  # fmt: skip
    run.add_argument(
        "--watch-grace", type=_seconds, default=RUN_DEFAULTS["watch_grace"], metavar="SECONDS",
        help="how long a stopped command may take to exit (default 10)",
    )  # fmt: skip
    run.add_argument(
        "--fallback", metavar="FILE",
        help="keep the last values in FILE, encrypted with a key derived from the token, and "
        "use them when the server is unreachable (needs the `cryptography` extra: "
        "pip install 'keyvault-client[fallback]')",
    )  # fmt: skip
    run.add_argument(
        "--fallback-max-age", type=_seconds, default=RUN_DEFAULTS["fallback_max_age"],
        metavar="SECONDS",
        help="refuse a fallback file older than this (default 86400, one day)",
    )  # fmt: skip
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")


def _get_arguments(get: argparse.ArgumentParser) -> None:
    get.add_argument("key", metavar="KEY")
    get.add_argument("--reveal", "--force", action="store_true", help="print even to a terminal")
    get.add_argument("--version", type=_version, metavar="N", help="an older version")
    get.add_argument("--field", metavar="NAME", help="one field of a structured credential")


def _set_arguments(set_: argparse.ArgumentParser) -> None:
    set_.add_argument("key", metavar="KEY")
    set_.add_argument(
        "--if-version", type=_version_or_zero, metavar="N",
        help="only if KEY is at version N (0: only if it does not exist)",
    )  # fmt: skip
    set_.add_argument(
        "--provider", help="for a new KEY: openai, anthropic, azure_openai, bedrock, ... or other"
    )
    set_.add_argument(
        "--fields", action="store_true",
        help='read a structured credential\'s fields as one JSON object, e.g. '
        '{"api_key": "...", "resource_name": "contoso"}; fields left out keep their values, '
        '"" clears one',
    )  # fmt: skip


def _list_arguments(listing: argparse.ArgumentParser) -> None:
    listing.add_argument("--json", action="store_true", help="as JSON")


def _versioned_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY")
    if parser.prog.endswith("rollback"):
        parser.add_argument("version", type=_version, metavar="VERSION")
    parser.add_argument("--if-version", type=_version, metavar="N", help="only if KEY is at N")


def _key_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY")


def _export_arguments(export: argparse.ArgumentParser) -> None:
    export.add_argument("--format", choices=FORMATS, default="dotenv")
    export.add_argument(
        "--env", action="append", default=[], type=_mapping, metavar="NAME=key",
        help="export setting `key` as NAME (repeatable); default: every setting",
    )  # fmt: skip
    export.add_argument("--output", "-o", metavar="FILE", help="write FILE (mode 0600)")
    export.add_argument("--force", action="store_true", help="print even to a terminal")


def _completion_arguments(completion: argparse.ArgumentParser) -> None:
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))


# name: (handler "module:function", help, description, arguments)
COMMANDS: dict[str, tuple[str, str, str, Callable[[argparse.ArgumentParser], None]]] = {
    "run": ("run_command:run", "run a command with settings in its environment", RUN_HELP,
            _run_arguments),
    "get": ("cli:get", "print one value (for scripts)", "", _get_arguments),
    "set": ("write_commands:set_value", "store a new value, read from stdin", SET_HELP,
            _set_arguments),
    "list": ("write_commands:list_settings",
             "list names, providers, versions and update times (never values)", "",
             _list_arguments),
    "rollback": ("write_commands:rollback",
                 "make an earlier version current again (prints the new version)", "",
                 _versioned_key_arguments),
    "verify": ("write_commands:verify",
               "ask the provider whether the stored key works (exit 0 only if valid)", "",
               _key_argument),
    "delete": ("write_commands:delete", "delete a setting", "", _versioned_key_arguments),
    "export": ("export:export", "print settings as a dotenv/json/yaml/shell file", EXPORT_HELP,
               _export_arguments),
    "completion": ("completion:print_script",
                   'print a shell completion script: eval "$(keyvault completion bash)"', "",
                   _completion_arguments),
}  # fmt: skip


def _mapping(text: str) -> tuple[str, str]:
    try:
        return parse_mapping(text)
    except MappingError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _version(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a version is a number from 1 up, not {text!r}")
    return int(text)


def _version_or_zero(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a version is a number (0: must not exist), not {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"give a positive number of seconds, not {text!r}")
    return seconds
