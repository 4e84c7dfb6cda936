"""The usual `keyvault run` command line, read without argparse.

`keyvault run [--all] [--no-mask] [--preserve-env] [--watch] -- COMMAND...` is how services
start, and importing argparse and building its parser would cost that start 5% (benchmark 9c).
Any other command line (an option with a value, --help, an abbreviation, a typo) goes to the
full parser in arguments.py, which gives the same defaults (a test holds them equal).
"""

from __future__ import annotations

from types import SimpleNamespace

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from collections.abc import Sequence

HANDLER = "run_command:run"
FLAGS = {"--all": "all", "--no-mask": "no_mask", "--preserve-env": "preserve_env",
         "--watch": "watch"}  # fmt: skip
DEFAULTS: dict[str, object] = {
    "shell_command": None,
    "watch_interval": 30.0,
    "watch_grace": 10.0,
    "fallback": None,
    "fallback_max_age": 86400.0,
}


def parse(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments, as the full parser would give them, if `argv` has the usual shape."""
    if len(argv) < 3 or argv[0] != "run" or "--" not in argv:
        return None
    end = list(argv).index("--")
    flags = argv[1:end]
    if end == len(argv) - 1 or not set(flags) <= FLAGS.keys():
        return None
    arguments = SimpleNamespace(
        version=None, command_name="run", handler=HANDLER, env=[], credential=[],
        command=list(argv[end:]), **DEFAULTS,
    )  # fmt: skip
    for flag, name in FLAGS.items():
        setattr(arguments, name, flag in flags)
    return arguments
