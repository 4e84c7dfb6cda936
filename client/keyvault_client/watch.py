"""`keyvault run --watch`: restart the command when one of its injected values changes.

Every --watch-interval seconds each injected key is asked for with If-None-Match, so an
unchanged value costs the server a 304 and no decryption. On a change the command gets SIGTERM,
then SIGKILL after --watch-grace seconds, and starts again with the new values. An unreachable
server leaves the command running (with a warning); so does a key that disappeared.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from .client import Client
from .credentials import Credential, remove_files
from .errors import KeyvaultError
from .injection import Injection
from .run import _copy_masked, _SignalForwarder, forbid_inspection
from .run_command import Wanted, fetch, masked, prepare

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    import argparse


class Watcher:
    """Runs one command at a time, and a new one whenever a watched value changes."""

    def __init__(self, client: Client, wanted: Wanted, args: argparse.Namespace) -> None:
        self._client, self._wanted = client, wanted
        self._interval, self._grace = args.watch_interval, args.watch_grace
        self._mask, self._preserve = not args.no_mask, args.preserve_env
        self._forwarder = _SignalForwarder()

    def run(
        self, command: list[str], values: dict[str, str | Credential], injection: Injection
    ) -> int:
        """Run `command` until it exits by itself; its status. `values`: key -> value watched."""
        forbid_inspection()  # keyvault stays the parent, with the token: see run_masked
        self._forwarder.install()
        while True:
            environment, paths = prepare(injection, self._preserve)
            try:
                child, copier = self._start(command, environment, injection)
                status = self._wait_for_exit_or_change(child, values)
                if status is not None:
                    copier.join()
                    return 128 - status if status < 0 else status
                values, injection = fetch(self._client, self._wanted)  # a failure: it runs on
                self._stop(child)
                copier.join()
            finally:
                remove_files(paths)
            print(f"keyvault run: a value changed; restarting {command[0]}", file=sys.stderr)

    def _start(
        self, command: list[str], environment: dict[str, str], injection: Injection
    ) -> tuple[subprocess.Popen[bytes], threading.Thread]:
        pipe = subprocess.PIPE if self._mask else None
        child = subprocess.Popen(command, env=environment, stdout=pipe, stderr=pipe)  # noqa: S603
        self._forwarder.attach(child)
        streams = {child.stdout: sys.stdout.fileno(), child.stderr: sys.stderr.fileno()}
        piped = {stream: target for stream, target in streams.items() if stream is not None}
        secrets = masked(injection.secrets) if self._mask else []
        copier = threading.Thread(target=_copy_masked, args=(piped, secrets, child))
        copier.start()
        return child, copier

    def _wait_for_exit_or_change(
        self, child: subprocess.Popen[bytes], values: dict[str, str | Credential]
    ) -> int | None:
        """The child's status when it exits, or None as soon as a watched value changed."""
        while True:
            try:
                return child.wait(timeout=self._interval)
            except subprocess.TimeoutExpired:
                pass
            if self._changed(values):
                return None

    def _changed(self, values: dict[str, str | Credential]) -> bool:
        try:
            return any(
                not _same(self._client.get_item(key), value) for key, value in values.items()
            )
        except KeyvaultError as error:
            print(f"keyvault run: cannot check for changes ({error})", file=sys.stderr)
            return False

    def _stop(self, child: subprocess.Popen[bytes]) -> None:
        child.terminate()
        try:
            child.wait(timeout=self._grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _same(new: str | Credential, old: str | Credential) -> bool:
    if isinstance(new, Credential) and isinstance(old, Credential):
        return (new.fields, new.env, new.files) == (old.fields, old.env, old.files)
    return new == old
