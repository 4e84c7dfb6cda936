"""`keyvault run --watch`: restart the command when one of its injected values changes.

Every --watch-interval seconds each injected key is asked for with If-None-Match, so an
unchanged value costs the server a 304 and no decryption. On a change the command gets SIGTERM,
then SIGKILL after --watch-grace seconds, and starts again with the new values. An unreachable
server leaves the command running (with a warning); so does a key that disappeared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

from .client import Client
from .errors import KeyvaultError
from .run import _copy_masked, _SignalForwarder, child_environment


class Watcher:
    """Runs one command at a time, and a new one whenever a watched value changes."""

    def __init__(
        self, client: Client, explicit: dict[str, str], everything: bool, args: argparse.Namespace
    ) -> None:
        self._client, self._explicit, self._everything = client, explicit, everything
        self._interval, self._grace = args.watch_interval, args.watch_grace
        self._mask, self._preserve = not args.no_mask, args.preserve_env
        self._forwarder = _SignalForwarder()

    def run(
        self,
        command: list[str],
        environment: dict[str, str],
        keys: dict[str, str],
        secrets: dict[str, str],
    ) -> int:
        """Run `command` until it exits by itself; its status. `keys`: variable -> key."""
        self._forwarder.install()
        while True:
            child, copier = self._start(command, environment, secrets)
            status = self._wait_for_exit_or_change(child, keys, secrets)
            if status is not None:
                copier.join()
                return 128 - status if status < 0 else status
            keys, secrets = self._fetch()  # before stopping: a failed fetch keeps it running
            self._stop(child)
            copier.join()
            environment = child_environment(os.environ, secrets, preserve=self._preserve)
            print(f"keyvault run: a value changed; restarting {command[0]}", file=sys.stderr)

    def _start(
        self, command: list[str], environment: dict[str, str], secrets: dict[str, str]
    ) -> tuple[subprocess.Popen[bytes], threading.Thread]:
        pipe = subprocess.PIPE if self._mask else None
        child = subprocess.Popen(command, env=environment, stdout=pipe, stderr=pipe)  # noqa: S603
        self._forwarder.attach(child)
        streams = {child.stdout: sys.stdout.fileno(), child.stderr: sys.stderr.fileno()}
        masked = {stream: target for stream, target in streams.items() if stream is not None}
        copier = threading.Thread(target=_copy_masked, args=(masked, list(secrets.values())))
        copier.start()
        return child, copier

    def _wait_for_exit_or_change(
        self, child: subprocess.Popen[bytes], keys: dict[str, str], secrets: dict[str, str]
    ) -> int | None:
        """The child's status when it exits, or None as soon as a watched value changed."""
        while True:
            try:
                return child.wait(timeout=self._interval)
            except subprocess.TimeoutExpired:
                pass
            if self._changed(keys, secrets):
                return None

    def _changed(self, keys: dict[str, str], secrets: dict[str, str]) -> bool:
        try:
            return any(self._client.get(key) != secrets.get(name) for name, key in keys.items())
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

    def _fetch(self) -> tuple[dict[str, str], dict[str, str]]:
        from .run_command import fetch_named

        return fetch_named(self._client, self._explicit, everything=self._everything)
