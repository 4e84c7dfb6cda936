"""`keyvault run`: start a command with secrets in its environment, and only there.

The command runs directly (no shell). With masking, keyvault stays as its parent: it copies the
child's stdout and stderr through, with every secret replaced by `***`, forwards the signals a
supervisor sends, and exits with the child's status (128 + N if signal N killed it). Without
masking it simply becomes the command (exec), so signals and exit status are the command's own.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Mapping

from .masking import SecretMasker

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from types import FrameType
    from typing import IO, NoReturn

TOKEN_VARIABLES = ("KEYVAULT_TOKEN", "KEYVAULT_TOKEN_FILE")
# Sent by a terminal to its whole foreground process group, child included: see _forward.
KEYBOARD_SIGNALS = (signal.SIGINT, signal.SIGQUIT)
FORWARDED_SIGNALS = (
    *KEYBOARD_SIGNALS,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
READ_SIZE = 65536


def child_environment(
    base: Mapping[str, str], secrets: Mapping[str, str], *, preserve: bool = False
) -> dict[str, str]:
    """`base` without the keyvault token, plus the secrets by variable name (those `base`
    already sets are kept when `preserve`)."""
    environment = {name: value for name, value in base.items() if name not in TOKEN_VARIABLES}
    for name, value in secrets.items():
        if not (preserve and name in environment):
            environment[name] = value
    return environment


def exec_command(argv: list[str], environment: Mapping[str, str]) -> NoReturn:
    """Replace this process with the command (OSError if it cannot be started)."""
    # Python ignores SIGPIPE and SIGXFSZ; an exec'd program expects the defaults.
    for number in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(number, signal.SIG_DFL)
    os.execvpe(argv[0], argv, environment)  # noqa: S606  (running the command is the point)


def run_masked(argv: list[str], environment: Mapping[str, str], secrets: list[str]) -> int:
    """Run the command with its output masked; its exit status (OSError if it cannot start)."""
    forwarder = _SignalForwarder()
    forwarder.install()
    child = subprocess.Popen(  # noqa: S603  (no shell: the command as given)
        argv, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    forwarder.attach(child)
    assert child.stdout is not None and child.stderr is not None
    _copy_masked({child.stdout: sys.stdout.fileno(), child.stderr: sys.stderr.fileno()}, secrets)
    status = child.wait()
    return 128 - status if status < 0 else status


class _SignalForwarder:
    """Passes the signals keyvault receives on to the child, once."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._early: list[int] = []

    def install(self) -> None:
        for number in FORWARDED_SIGNALS:
            signal.signal(number, self._forward)

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child
        for number in self._early:  # arrived while the child was being started
            child.send_signal(number)

    def _forward(self, number: int, frame: FrameType | None) -> None:
        if number in KEYBOARD_SIGNALS and _in_terminal_foreground():
            return  # the terminal sent it to the whole process group: the child has it too
        if self._child is None:
            self._early.append(number)
        else:
            self._child.send_signal(number)  # a no-op once the child has been reaped


def _in_terminal_foreground() -> bool:
    """Whether this process is in the foreground group of its controlling terminal."""
    try:
        terminal = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False  # no controlling terminal: a supervisor or a script sent the signal
    try:
        return os.tcgetpgrp(terminal) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(terminal)


def _copy_masked(streams: Mapping[IO[bytes], int], secrets: list[str]) -> None:
    """Copy each child stream to its target descriptor, masked, as soon as data arrives."""
    with selectors.DefaultSelector() as selector:
        for stream, target in streams.items():
            selector.register(stream, selectors.EVENT_READ, (stream, SecretMasker(secrets), target))
        while selector.get_map():
            for key, _ in selector.select():
                stream, masker, target = key.data
                chunk = os.read(key.fd, READ_SIZE)
                data = masker.feed(chunk) if chunk else masker.finish()
                if not _write_all(target, data) or not chunk:
                    # End of the child's stream, or nobody reads ours: close the pipe, so the
                    # child sees a broken pipe just as it would without keyvault in between.
                    selector.unregister(stream)
                    stream.close()


def _write_all(target: int, data: bytes) -> bool:
    """Write all of `data`; False if the reader has gone away."""
    try:
        while data:
            data = data[os.write(target, data) :]
    except BrokenPipeError:
        return False
    return True
