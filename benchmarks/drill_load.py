"""The services' side of the drill: paced API readers and a `keyvault run` loop, each read
checked against the value it must return and counted in the phase it started in."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .drill_server import ROOT

CHECK_VALUE = (
    "import hashlib, os, sys; "
    "sys.exit(0 if hashlib.sha256(os.environ['DRILL_VALUE'].encode()).hexdigest() == sys.argv[1] "
    "else 3)"
)  # the command `keyvault run` starts: exit 3 when it was handed a wrong value
WRONG_VALUE_EXIT = 3
READ_TIMEOUT = 60.0  # a read slower than this counts as failed


class KeepAliveRetry(httpx.HTTPTransport):
    """Sends a GET again, once, on a fresh connection when the server closed the kept-alive one
    as it was sent (RFC 9110 9.2.2: idempotent requests may be retried). A stopping worker
    closes its idle connections, and a request already on the wire then meets a reset; HTTP
    clients that pool connections retry it, as a service reading keyvault would. Each retry is
    counted and reported; a second failure is a failed read."""

    def __init__(self, retried: Callable[[], None]) -> None:
        super().__init__()
        self._retried = retried

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
            if request.method != "GET":
                raise
            self._retried()
            return super().handle_request(request)


@dataclass
class PhaseStats:
    reads: int = 0
    failed: int = 0  # status other than 200/304, or no answer
    wrong: int = 0  # answered 200 with another value
    retried: int = 0  # sent again once after the server closed a kept-alive connection
    latencies: list[float] = field(default_factory=list)  # seconds, answered API reads
    runs: int = 0
    runs_failed: int = 0
    runs_wrong: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # what went wrong, first few

    @property
    def p99(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class PhaseClock:
    """The phase the runbook is in; every read is counted in the phase in which it started."""

    def __init__(self, first: str) -> None:
        self.lock = threading.Lock()
        self.current = first
        self.started = time.monotonic()
        self.stats: dict[str, PhaseStats] = {first: PhaseStats()}

    def enter(self, phase: str) -> None:
        with self.lock:
            now = time.monotonic()
            self.stats[self.current].seconds += now - self.started
            self.current, self.started = phase, now
            self.stats.setdefault(phase, PhaseStats())

    def record(self, phase: str, update: Callable[..., None], *args: Any) -> None:
        """Call `update(stats of phase, *args)` under the lock."""
        with self.lock:
            update(self.stats[phase], *args)


def _failure(stats: PhaseStats, text: str, wrong: bool = False) -> None:
    stats.reads += 1
    if wrong:
        stats.wrong += 1
    else:
        stats.failed += 1
    if len(stats.failures) < 5:
        stats.failures.append(text)


def _retried(stats: PhaseStats) -> None:
    stats.retried += 1


def _success(stats: PhaseStats, latency: float) -> None:
    stats.reads += 1
    stats.latencies.append(latency)


class Load:
    """`readers` threads reading the API every `interval` seconds, and one `keyvault run` loop."""

    def __init__(
        self, base: str, token: str, values: dict[str, str], clock: PhaseClock, *,
        readers: int, interval: float,
    ) -> None:  # fmt: skip
        self.base, self.token, self.values, self.clock = base, token, values, clock
        self.readers, self.interval = readers, interval
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> Load:
        targets = [*(self._reader for _ in range(self.readers)), self._runner]
        for number, target in enumerate(targets):
            thread = threading.Thread(target=target, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=READ_TIMEOUT + 30)

    def _reader(self, number: int) -> None:
        chooser = random.Random(number)
        headers = {"Authorization": f"Bearer {self.token}"}
        etags: dict[str, str] = {}
        transport = KeepAliveRetry(lambda: self.clock.record(self.clock.current, _retried))
        with httpx.Client(
            base_url=self.base, headers=headers, timeout=READ_TIMEOUT, transport=transport
        ) as client:
            while not self.stopping.wait(self.interval):
                keys = chooser.sample(sorted(self.values), 3)
                phase = self.clock.current
                started = time.perf_counter()
                try:
                    problem = self._read(client, chooser, keys, etags)
                except httpx.HTTPError as error:
                    problem = (f"{type(error).__name__}: {error}", False)
                latency = time.perf_counter() - started
                if problem is None:
                    self.clock.record(phase, _success, latency)
                else:
                    self.clock.record(phase, _failure, *problem)

    def _read(
        self, client: httpx.Client, chooser: random.Random, keys: list[str], etags: dict[str, str]
    ) -> tuple[str, bool] | None:
        """One read: a listing of three keys, a single key, or a conditional single read."""
        kind = chooser.choice(("list", "single", "conditional"))
        if kind == "list":
            answer = client.get("/api/v1/settings/", params={"keys": ",".join(keys)})
            if answer.status_code != 200:
                return f"list {answer.status_code}: {answer.text[:200]}", False
            got = {entry["key"]: entry.get("value") for entry in answer.json()["settings"]}
            wrong = got != {key: self.values[key] for key in keys}
            return ("list: wrong values", True) if wrong else None
        key = keys[0]
        asked = {"If-None-Match": etags[key]} if kind == "conditional" and key in etags else {}
        answer = client.get(f"/api/v1/settings/{key}", headers=asked)
        if answer.status_code == 304:
            return None
        if answer.status_code != 200:
            return f"{kind} {answer.status_code}: {answer.text[:200]}", False
        etags[key] = answer.headers.get("ETag", "")
        return (
            (f"{kind}: wrong value", True) if answer.json()["value"] != self.values[key] else None
        )

    def _runner(self, number: int) -> None:
        chooser = random.Random(number)
        while not self.stopping.is_set():
            key = chooser.choice(sorted(self.values))
            phase = self.clock.current
            exit_status, said = self._run_once(key)
            self.clock.record(phase, _count_run, exit_status, said)

    def _run_once(self, key: str) -> tuple[int, str]:
        expected = hashlib.sha256(self.values[key].encode()).hexdigest()
        env = {"KEYVAULT_URL": self.base, "KEYVAULT_TOKEN": self.token, "PATH": ""}
        command = [sys.executable, "-m", "keyvault_client", "run", "--env", f"DRILL_VALUE={key}",
                   "--", sys.executable, "-c", CHECK_VALUE, expected]  # fmt: skip
        try:
            done = subprocess.run(
                command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=READ_TIMEOUT,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return -1, f"no exit within {READ_TIMEOUT:g} s"
        return done.returncode, done.stderr.strip()[-300:]


def _count_run(stats: PhaseStats, exit_status: int, said: str) -> None:
    stats.runs += 1
    if exit_status == WRONG_VALUE_EXIT:
        stats.runs_wrong += 1
    elif exit_status != 0:
        stats.runs_failed += 1
        if len(stats.failures) < 5:
            stats.failures.append(f"keyvault run exited {exit_status}: {said}")
