"""`keyvault run`: start a command with secrets in its environment, and only there.

The command runs directly (no shell). With masking, keyvault stays as its parent: it copies the
child's stdout and stderr through, with every secret replaced by `***`, forwards the signals a
supervisor sends, and exits with the child's status (128 + N if signal N killed it). Without
masking it simply becomes the command (exec), so signals and exit status are the command's own.

The masking parent keeps the token in its initial environment and its memory, so on Linux it
makes itself non-dumpable first (as ssh-agent does): the child, running as the same user,
cannot read /proc/<parent>/environ or /proc/<parent>/mem. That child can still read any file
the user can, a token file included: real isolation means running it as another user.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Mapping
from subprocess import Popen
from time import monotonic

from .masking import SecretMasker

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from types import FrameType
    from typing import IO, NoReturn

TOKEN_VARIABLES = ("KEYVAULT_TOKEN", "KEYVAULT_TOKEN_FILE")
PR_SET_DUMPABLE = 4  # from <linux/prctl.h>
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
EXIT_GRACE = 0.2  # after the child exits, its pipes are copied until empty or this long
EXIT_POLL = 0.1  # where no pidfd tells of the exit, the child is polled this often


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
    forbid_inspection()
    forwarder = _SignalForwarder()
    forwarder.install()
    child = subprocess.Popen(  # noqa: S603  (no shell: the command as given)
        argv, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    forwarder.attach(child)
    assert child.stdout is not None and child.stderr is not None
    streams = {child.stdout: sys.stdout.fileno(), child.stderr: sys.stderr.fileno()}
    _copy_masked(streams, secrets, child)
    status = child.wait()
    return 128 - status if status < 0 else status


def forbid_inspection() -> None:
    """Make this process non-dumpable, so that processes of the same user (its child among
    them) cannot read its environment or memory through /proc; a no-op off Linux."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # here, not at the top: only the masking parent needs it

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


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


class _Copy:
    """One child stream, its masker and where its output goes."""

    def __init__(self, stream: IO[bytes], secrets: list[str], target: int) -> None:
        self.stream, self.masker, self.target = stream, SecretMasker(secrets), target

    def pump(self) -> bool:
        """Copy what one read returns, masked; False once the stream has ended or nobody
        reads ours (then the pipe is closed, so the child sees a broken pipe as it would
        without keyvault in between)."""
        chunk = os.read(self.stream.fileno(), READ_SIZE)
        data = self.masker.feed(chunk) if chunk else self.masker.finish()
        if _write_all(self.target, data) and chunk:
            return True
        self.stream.close()
        return False

    def finish(self) -> None:
        _write_all(self.target, self.masker.finish())
        self.stream.close()


def _copy_masked(streams: Mapping[IO[bytes], int], secrets: list[str], child: Popen[bytes]) -> None:
    """Copy each child stream to its target, masked, as soon as data arrives, until the streams
    end or, once the child has exited, until what its pipes held has been copied (processes it
    left in the background may keep them open: their later output is not copied)."""
    with selectors.DefaultSelector() as selector:
        for stream, target in streams.items():
            selector.register(stream, selectors.EVENT_READ, _Copy(stream, secrets, target))
        watch = _ExitWatch(child, selector)
        while len(selector.get_map()) > watch.registered and not watch.drained():
            for key, _ in selector.select(watch.timeout()):
                if key.data is watch:
                    watch.exited()
                elif not key.data.pump():
                    selector.unregister(key.fileobj)
        watch.close()
        for key in list(selector.get_map().values()):
            key.data.finish()


class _ExitWatch:
    """Notices the child's exit (a pidfd in the selector on Linux, else polling), then gives
    the copy EXIT_GRACE seconds to empty the pipes."""

    def __init__(self, child: Popen[bytes], selector: selectors.BaseSelector) -> None:
        self._child, self._selector = child, selector
        self._deadline: float | None = None
        self._pidfd = _pidfd(child.pid)
        if self._pidfd is not None:
            selector.register(self._pidfd, selectors.EVENT_READ, self)
        self.registered = int(self._pidfd is not None)

    def timeout(self) -> float | None:
        if self._deadline is None:
            return None if self._pidfd is not None else EXIT_POLL
        return max(0.0, self._deadline - monotonic())

    def exited(self) -> None:
        self._unregister()
        self._deadline = monotonic() + EXIT_GRACE

    def drained(self) -> bool:
        if self._deadline is None and self._pidfd is None and self._child.poll() is not None:
            self._deadline = monotonic() + EXIT_GRACE
        return self._deadline is not None and monotonic() >= self._deadline

    def close(self) -> None:
        self._unregister()
        if self._pidfd is not None:
            os.close(self._pidfd)

    def _unregister(self) -> None:
        if self.registered and self._pidfd is not None:
            self._selector.unregister(self._pidfd)
        self.registered = 0


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux 5.3+: poll instead
        return None


def _write_all(target: int, data: bytes) -> bool:
    """Write all of `data`; False if the reader has gone away."""
    try:
        while data:
            data = data[os.write(target, data) :]
    except BrokenPipeError:
        return False
    return True
