"""The `keyvault` command in real subprocesses, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keyvault_client import cli
from tests.client.api_server import ApiServer
from tests.client.conftest import ApiTarget, new_token, run_keyvault
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

CHILD_REPORTS = """
import hashlib, os, sys
value = os.environ["OPENAI_API_KEY"]
print(hashlib.sha256(value.encode()).hexdigest())
print("value:", value)
print("on stderr:", value, file=sys.stderr)
print(sorted(name for name in os.environ if name.startswith("KEYVAULT_")))
sys.exit(3)
"""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def keyvault(
    target: ApiTarget | ApiServer, *args: str, **kwargs
) -> subprocess.CompletedProcess[str]:
    return run_keyvault(*args, url=target.url, token=target.token, **kwargs)


# --- keyvault run -----------------------------------------------------------------------------


def test_run_gives_the_child_the_value_masks_its_output_and_passes_its_status(
    keyvault_api: ApiTarget,
) -> None:
    value = keyvault_api.values["openai_api_key"]
    done = keyvault(
        keyvault_api,
        *("run", "--env", "OPENAI_API_KEY=openai_api_key", "--"),
        *(sys.executable, "-c", CHILD_REPORTS),
    )
    assert done.returncode == 3, done.stderr
    digest, printed, variables = done.stdout.splitlines()
    assert digest == sha256(value)
    assert printed == "value: ***" and done.stderr == "on stderr: ***\n"
    assert variables == "['KEYVAULT_URL']"  # KEYVAULT_TOKEN is gone
    assert value not in done.stdout + done.stderr


def test_a_token_from_a_file_is_kept_from_the_child_too(
    keyvault_api: ApiTarget, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text(keyvault_api.token, encoding="utf-8")
    done = run_keyvault(
        *("run", "--env", "OPENAI_API_KEY=openai_api_key", "--"),
        *(sys.executable, "-c", CHILD_REPORTS),
        url=keyvault_api.url,
        token=None,
        env={"KEYVAULT_TOKEN_FILE": str(tmp_path / "token")},
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines()[2] == "['KEYVAULT_URL']"


def test_without_env_every_setting_in_scope_gets_its_upper_cased_name(
    keyvault_api: ApiTarget,
) -> None:
    show = "import os; print({n: os.environ.get(n) for n in %r})" % [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        keyvault_api.out_of_scope_key.upper(),
    ]
    done = keyvault(keyvault_api, "run", "--no-mask", "--", sys.executable, "-c", show)
    assert done.returncode == 0, done.stderr
    assert eval(done.stdout) == {  # noqa: S307  (our own child's repr of a dict of strings)
        "OPENAI_API_KEY": keyvault_api.values["openai_api_key"],
        "ANTHROPIC_API_KEY": keyvault_api.values["anthropic_api_key"],
        keyvault_api.out_of_scope_key.upper(): None,
    }


def test_each_run_fetches_its_settings_in_one_request(api_server: ApiServer) -> None:
    done = keyvault(api_server, "run", "--", "true")
    assert done.returncode == 0, done.stderr
    assert [r.path for r in api_server.requests] == ["/api/v1/settings/"]
    done = keyvault(
        api_server,
        *("run", "--env", "A=openai_api_key", "--env", "B=anthropic_api_key", "--all", "--"),
        *(sys.executable, "-c", "import os; print(sorted(os.environ))"),
    )
    assert done.returncode == 0, done.stderr
    assert "'A'" in done.stdout and "'B'" in done.stdout and "OPENAI_API_KEY" not in done.stdout
    assert len(api_server.requests) == 2
    done = keyvault(api_server, "run", "--env", "A=openai_api_key", "--env", "B=anthropic_api_key",
                    "--", "true")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert api_server.requests[-1].path == "/api/v1/settings/?keys=openai_api_key,anthropic_api_key"


def test_no_mask_passes_the_output_through_and_still_the_status(keyvault_api: ApiTarget) -> None:
    value = keyvault_api.values["openai_api_key"]
    done = keyvault(keyvault_api, "run", "--no-mask", "--env", "OPENAI_API_KEY=openai_api_key",
                    "--", sys.executable, "-c", CHILD_REPORTS)  # fmt: skip
    assert done.returncode == 3
    assert done.stdout.splitlines()[1] == f"value: {value}"


def test_masking_survives_a_large_output_cut_into_arbitrary_reads(keyvault_api: ApiTarget) -> None:
    value = keyvault_api.values["openai_api_key"]
    noisy = (
        "import os, sys\nv = os.environ['OPENAI_API_KEY'].encode()\n"
        "for n in range(3000):\n"
        "    sys.stdout.buffer.write(b'x' * (n % 97) + v + b'\\n')\n"
        "    if n % 7 == 0: sys.stdout.flush()\n"
    )
    done = keyvault(keyvault_api, "run", "--", sys.executable, "-c", noisy)
    assert done.returncode == 0, done.stderr
    assert value not in done.stdout and done.stdout.count("***") == 3000


def test_an_unknown_key_stops_before_the_command_runs(
    keyvault_api: ApiTarget, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    done = keyvault(keyvault_api, "run", "--env", "X=no_such_setting", "--",
                    "touch", str(marker))  # fmt: skip
    assert done.returncode == cli.EXIT_NOT_FOUND
    assert "no_such_setting" in done.stderr and len(done.stderr.splitlines()) == 1
    assert not marker.exists()


@pytest.mark.parametrize("command", [("get", "openai_api_key"), ("list",)], ids=" ".join)
def test_output_that_cannot_be_written_is_one_line_and_its_own_status(
    keyvault_api: ApiTarget, command: tuple[str, ...]
) -> None:
    with open("/dev/full", "w") as full:  # every write fails: No space left on device
        done = run_keyvault(
            *command, url=keyvault_api.url, token=keyvault_api.token,
            stdout=full, stderr=subprocess.PIPE,
        )  # fmt: skip
    assert done.returncode == cli.EXIT_IO_ERROR
    assert done.stderr == "keyvault: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("key", ["ld_preload", "sslkeylogfile", "openai.api.key", "9_api_key"])
def test_a_setting_without_a_usable_automatic_name_is_skipped_and_the_run_goes_on(
    api_server: ApiServer, key: str
) -> None:
    api_server.put(key, "/srv/uploads/evil.so")
    api_server.scope = ("*",)
    show = "import os; print(sorted(n for n in os.environ if n.isupper() and n[:3] != 'LC_'))"
    done = keyvault(api_server, "run", "--no-mask", "--", sys.executable, "-c", show)
    assert done.returncode == 0, done.stderr
    assert "/srv/uploads/evil.so" not in done.stdout
    assert eval(done.stdout) == [  # noqa: S307  (our own child's repr of a list of strings)
        "ANTHROPIC_API_KEY", "KEYVAULT_URL", "OPENAI_API_KEY", "PATH"
    ]  # fmt: skip
    # One line per skipped setting: this one, and internal_db_password (not an automatic name).
    lines = sorted(done.stderr.splitlines(), key=lambda line: "internal_db_password" in line)
    assert len(lines) == 2 and repr(key) in lines[0] and "--env" in lines[0]


def test_an_unusable_name_asked_for_by_env_is_an_error(api_server: ApiServer) -> None:
    done = keyvault(api_server, "run", "--env", "9X=openai_api_key", "--", "true")
    assert done.returncode == cli.EXIT_USAGE and "9X" in done.stderr


def test_background_processes_holding_the_pipes_do_not_hold_keyvault(
    keyvault_api: ApiTarget,
) -> None:
    # The child prints, leaves a process that keeps its stdout and stderr open, and exits 3.
    child = "echo started; sleep 10 & python3 -c 'import time; print(time.time())' >&2; exit 3"
    done = keyvault(keyvault_api, "run", "--", "sh", "-c", child)
    returned = time.time()
    assert done.returncode == 3 and done.stdout == "started\n"
    exited = float(done.stderr.strip())
    assert returned - exited < 5  # not the 10 s of the background sleep (0.2 s + start-up)


def test_short_values_are_not_masked_and_that_is_said_once(api_server: ApiServer) -> None:
    api_server.put("status_token", "0")
    api_server.put("retries_token", "3")
    api_server.scope = ("*_token",)
    done = keyvault(api_server, "run", "--", sys.executable, "-c", "print('200 OK', 3)")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "200 OK 3\n"
    (line,) = done.stderr.splitlines()
    assert "2 values" in line and "8 characters" in line


def test_each_line_of_a_multi_line_value_is_masked(api_server: ApiServer) -> None:
    api_server.put("signing_secret", "-----BEGIN-----\nMIIEvQIBADANBgkqhkiG\n-----END-----")
    api_server.scope = ("signing_secret",)
    child = "import os; print(os.environ['SIGNING_SECRET'].splitlines()[1])"
    done = keyvault(api_server, "run", "--", sys.executable, "-c", child)
    assert (done.returncode, done.stdout, done.stderr) == (0, "***\n", "")


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (["no-such-command-kv"], cli.EXIT_COMMAND_NOT_FOUND),
        (["/etc/hostname"], cli.EXIT_CANNOT_EXECUTE),
    ],
)
@pytest.mark.parametrize("mask", [[], ["--no-mask"]])
def test_a_command_that_cannot_run_is_one_line(
    keyvault_api: ApiTarget, command: list[str], status: int, mask: list[str]
) -> None:
    done = keyvault(keyvault_api, "run", *mask, "--", *command)
    assert done.returncode == status
    assert command[0] in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_child_killed_by_a_signal_exits_128_plus_its_number(keyvault_api: ApiTarget) -> None:
    suicide = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    done = keyvault(keyvault_api, "run", "--", sys.executable, "-c", suicide)
    assert done.returncode == 128 + signal.SIGKILL


# --- keyvault get -----------------------------------------------------------------------------


def test_get_prints_the_value_for_a_script(keyvault_api: ApiTarget) -> None:
    done = keyvault(keyvault_api, "get", "openai_api_key")
    assert (done.returncode, done.stdout) == (0, keyvault_api.values["openai_api_key"] + "\n")


def test_get_into_a_closed_pipe_ends_quietly(keyvault_api: ApiTarget) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the consumer is gone before the value is written
    try:
        done = keyvault(
            keyvault_api, "get", "openai_api_key", stdout=writer, stderr=subprocess.PIPE
        )
    finally:
        os.close(writer)
    assert done.returncode == cli.EXIT_BROKEN_PIPE and done.stderr == ""


@pytest.mark.parametrize("key", ["no_such_setting", "internal_db_password"])
def test_get_of_a_missing_or_out_of_scope_key(keyvault_api: ApiTarget, key: str) -> None:
    done = keyvault(keyvault_api, "get", key)
    assert done.returncode == cli.EXIT_NOT_FOUND
    assert done.stdout == "" and key in done.stderr and len(done.stderr.splitlines()) == 1


def test_get_with_a_bad_token(keyvault_api: ApiTarget) -> None:
    token = new_token()
    done = run_keyvault("get", "openai_api_key", url=keyvault_api.url, token=token)
    assert done.returncode == cli.EXIT_UNAUTHORIZED
    assert done.stdout == "" and token not in done.stderr
    assert done.stderr.startswith("keyvault: ") and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("breaker", "status"),
    [
        ("stop", cli.EXIT_UNAVAILABLE),
        ("fail_with", cli.EXIT_UNAVAILABLE),
        ("refuse_network", cli.EXIT_FORBIDDEN),
        ("rate_limit", cli.EXIT_RATE_LIMITED),
        ("garbage", cli.EXIT_PROTOCOL),
    ],
)
def test_each_failure_has_its_own_status_and_one_line(
    api_server: ApiServer, breaker: str, status: int
) -> None:
    if breaker == "stop":
        api_server.stop()
    else:
        setattr(api_server, breaker, {"fail_with": 502, "garbage": b"<html>"}.get(breaker, True))
    for args in (["get", "openai_api_key"], ["run", "--", "true"]):
        done = keyvault(api_server, *args)
        assert done.returncode == status, done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_missing_configuration_and_bad_usage_have_their_own_status() -> None:
    done = run_keyvault("get", "openai_api_key", url="", token=None)
    assert done.returncode == cli.EXIT_CONFIGURATION and "KEYVAULT_URL" in done.stderr
    for args in ([], ["run"], ["run", "--"], ["run", "--env", "1X=key", "--", "true"],
                 ["get"], ["get", "a,b"], ["frobnicate"]):  # fmt: skip
        done = run_keyvault(*args, url="http://127.0.0.1:9", token=new_token())
        assert done.returncode == cli.EXIT_USAGE, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) <= 2 and "Traceback" not in done.stderr


def test_help_documents_every_exit_status() -> None:
    done = run_keyvault("--help", url="", token=None)
    assert done.returncode == 0
    for name in dir(cli):
        if name.startswith("EXIT_"):
            assert f"\n  {getattr(cli, name)} " in done.stdout, name


# --- terminals --------------------------------------------------------------------------------


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the pty has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("reveal", [False, True])
def test_get_refuses_to_print_to_a_terminal_unless_revealed(
    keyvault_api: ApiTarget, reveal: bool
) -> None:
    value = keyvault_api.values["openai_api_key"]
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "keyvault_client", "get", "openai_api_key",
             *(["--reveal"] if reveal else [])],
            stdout=secondary, stderr=subprocess.PIPE, cwd=ROOT,
            env={"PATH": os.environ["PATH"], "KEYVAULT_URL": keyvault_api.url,
                 "KEYVAULT_TOKEN": keyvault_api.token},
        )  # fmt: skip
        os.close(secondary)
        shown = read_all(primary)
        stderr = process.communicate(timeout=60)[1].decode()
    finally:
        os.close(primary)
    if reveal:
        assert process.returncode == 0 and value.encode() in shown
    else:
        assert process.returncode == cli.EXIT_USAGE and "--reveal" in stderr
        assert value.encode() not in shown


# --- signals ----------------------------------------------------------------------------------

CHILD_WAITS_FOR_SIGNALS = """
import os, select, signal, sys, time
# The wakeup fd gets one byte per delivery, even when Python runs the handler only once.
wake_read, wake_write = os.pipe()
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(number, lambda n, f: None)
print("ready", flush=True)
select.select([wake_read], [], [], 20)
time.sleep(0.5)  # a second delivery would have arrived by now
received = os.read(wake_read, 100)
print("received", [signal.Signals(n).name for n in received], flush=True)
sys.exit(40 + len(received))
"""


def start_run(target: ApiTarget, **kwargs) -> subprocess.Popen[str]:
    """`keyvault run` of the signal-counting child, in a new session (no terminal)."""
    return subprocess.Popen(
        [sys.executable, "-m", "keyvault_client", "run", "--", sys.executable, "-c",
         CHILD_WAITS_FOR_SIGNALS],
        env={"PATH": os.environ["PATH"], "KEYVAULT_URL": target.url,
             "KEYVAULT_TOKEN": target.token},
        cwd=ROOT, text=True, start_new_session=True, **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1])
def test_signals_sent_to_keyvault_reach_the_child_once(
    keyvault_api: ApiTarget, number: signal.Signals
) -> None:
    process = start_run(keyvault_api, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(number)
    out, err = process.communicate(timeout=60)
    assert out == f"received ['{number.name}']\n", err
    assert process.returncode == 41


def test_ctrl_c_in_a_terminal_reaches_the_child_once(keyvault_api: ApiTarget) -> None:
    """The terminal signals the whole foreground group: keyvault must not add a second SIGINT."""
    primary, secondary = pty.openpty()
    # A new session whose controlling terminal is the pty, as a login shell's would be.
    become_terminal_session = (
        "import os, sys; os.login_tty(int(sys.argv[1])); "
        "os.execv(sys.executable, [sys.executable] + sys.argv[2:])"
    )
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", become_terminal_session, str(secondary), "-m", "keyvault_client",
             "run", "--", sys.executable, "-c", CHILD_WAITS_FOR_SIGNALS],
            env={"PATH": os.environ["PATH"], "KEYVAULT_URL": keyvault_api.url,
                 "KEYVAULT_TOKEN": keyvault_api.token},
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=[secondary],
        )  # fmt: skip
        os.close(secondary)
        output = b""
        deadline = time.monotonic() + 30
        while b"ready" not in output and time.monotonic() < deadline:
            output += os.read(primary, 1024)
        os.write(primary, b"\x03")  # Ctrl-C typed at the terminal
        output += read_all(primary)
        process.wait(timeout=60)
    finally:
        os.close(primary)
    assert b"received ['SIGINT']" in output, output
    assert process.returncode == 41
