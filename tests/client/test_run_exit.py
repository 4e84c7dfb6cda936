"""`keyvault run` returns when its child exits, even if processes the child left in the
background hold its pipes (issue 22, item 5): with a pidfd, and by polling where there is none."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from keyvault_client import run

CHILD = "echo started; echo sk-proj-hidden-0123456789; sleep 10 &"


def copy_from_child(monkeypatch: pytest.MonkeyPatch, *, pidfd: bool) -> tuple[bytes, float]:
    if not pidfd:
        monkeypatch.setattr(run, "_pidfd", lambda pid: None)
    reader, writer = os.pipe()
    child = subprocess.Popen(["sh", "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    started = time.monotonic()
    run._copy_masked(
        {child.stdout: writer, child.stderr: writer}, ["sk-proj-hidden-0123456789"], child
    )
    took = time.monotonic() - started
    child.wait(timeout=60)
    os.close(writer)
    with os.fdopen(reader, "rb") as out:
        return out.read(), took


@pytest.mark.parametrize("pidfd", [True, False])
def test_the_copy_ends_soon_after_the_child_exits(monkeypatch, pidfd) -> None:
    output, took = copy_from_child(monkeypatch, pidfd=pidfd)
    assert output == b"started\n***\n"
    assert took < 5  # not the background sleep's 10 s
