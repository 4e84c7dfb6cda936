"""deploy/: the image, compose file and systemd unit start what the tests start, carry no
secret, and read every secret from a file."""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from tests.conftest import ROOT, run_manage
from tests.support.keys import KEY_ENV

DEPLOY = ROOT / "deploy"
SECRET_NAMES = re.compile(r"(SECRET_KEY|_KEY|SALT|TOKEN|PASSWORD|DATABASE_URL)(_FALLBACKS)?$")


def is_secret(name: str) -> bool:
    return bool(SECRET_NAMES.search(name.removesuffix("_FILE")))


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(" ", 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_image_runs_the_tests_entrypoint_as_a_numeric_non_root_user() -> None:
    steps = dockerfile()
    assert steps[-1] == ("CMD", '["deploy/serve.sh", "--bind", "0.0.0.0:8000"]')
    [user] = [arguments for instruction, arguments in steps if instruction == "USER"]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user)


def test_the_image_bakes_in_no_secret() -> None:
    for instruction, arguments in dockerfile():
        if instruction in ("ENV", "ARG"):
            names = [word.split("=", 1)[0] for word in arguments.split()]
            assert not any(is_secret(name) for name in names), arguments
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".env.*", "*.sqlite3", ".venv", ".git", "deploy/secrets"} <= set(ignored)


def test_the_image_build_step_runs_as_the_tests_run_it(tmp_path: Path) -> None:
    [install] = [args for step, args in dockerfile() if step == "RUN" and "collectstatic" in args]
    collect = shlex.split(install.split("&&", 1)[1])
    assignment, command = collect[0], collect[1:]
    assert command[:2] == ["python", "manage.py"]
    name, value = assignment.split("=", 1)
    result = run_manage(*command[2:], env={name: value, "STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "admin" / "css" / "base.css").is_file()


def test_compose_uses_the_image_command_and_readyz_as_healthcheck() -> None:
    services = compose()["services"]
    assert "command" not in services["app"]  # the image's CMD: deploy/serve.sh
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    assert services["migrate"]["command"][-1] == (
        "python manage.py migrate --noinput && python manage.py createcachetable"
    )
    mounts = services["nginx"]["volumes"]
    assert "./nginx/keyvault.conf.template:/etc/nginx/templates/keyvault.conf.template:ro" in mounts
    assert {"app", "postgres", "redis", "nginx"} <= set(services)


def test_compose_and_the_unit_give_every_secret_as_a_file() -> None:
    environment = compose()["services"]["app"]["environment"]
    secrets = [name for name in environment if is_secret(name)]
    assert len(secrets) == 6
    for name in secrets:
        assert name.endswith("_FILE"), f"{name} would put a secret in the compose file"
    unit = (DEPLOY / "keyvault.service").read_text()
    settings = re.findall(r"^Environment=(\w+)=", unit, re.MULTILINE)
    secret_settings = [name for name in settings if is_secret(name)]
    assert len(secret_settings) == 6 and all(s.endswith("_FILE") for s in secret_settings)
    assert re.search(r"^ExecStart=/opt/keyvault/deploy/serve.sh ", unit, re.MULTILINE)
    assert re.search(r"^User=keyvault$", unit, re.MULTILINE)


def test_every_secret_can_come_from_a_file(tmp_path: Path) -> None:
    """What compose and the unit rely on: SECRET_KEY, the keys, DATABASE_URL and the metrics
    token all read from *_FILE variables."""
    values = {
        **KEY_ENV,
        "SECRET_KEY": "file-" + "Zr8#Lq2$Wm5!Tx9^" * 4,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'from-file.sqlite3'}",
        "KEYVAULT_METRICS_TOKEN": "metrics-from-a-file-7Gq2",
    }
    env = {}
    for name, value in values.items():
        (tmp_path / name).write_text(value + "\n")
        env[f"{name}_FILE"] = str(tmp_path / name)
    code = ("from django.conf import settings as s; print(s.SECRET_KEY, s.KEYVAULT_PRIMARY_KEY, "
            "s.DATABASE_URL if hasattr(s, 'DATABASE_URL') else s.DATABASES['default']['NAME'], "
            "s.KEYVAULT_METRICS_TOKEN)")  # fmt: skip
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    expected = [values["SECRET_KEY"], values["KEYVAULT_PRIMARY_KEY"],
                str(tmp_path / "from-file.sqlite3"), values["KEYVAULT_METRICS_TOKEN"]]  # fmt: skip
    assert result.stdout.split()[-4:] == expected


def gunicorn_config(monkeypatch: Any, **env: str) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_starts_metrics_from_zero_and_touches_nothing_else(
    tmp_path: Path, monkeypatch: Any
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_4242.db").write_bytes(b"stale")
    (directory / "notes.txt").write_text("not prometheus-client's")
    config = gunicorn_config(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(directory))
    config["on_starting"](server=None)
    assert sorted(p.name for p in directory.iterdir()) == ["notes.txt"]
    (directory / "gauge_livesum_4243.db").write_bytes(b"")
    (directory / "counter_4243.db").write_bytes(b"")
    config["child_exit"](server=None, worker=SimpleNamespace(pid=4243))
    # A dead worker's live gauges go; its counters stay, so totals never drop.
    assert sorted(p.name for p in directory.iterdir()) == ["counter_4243.db", "notes.txt"]


def test_gunicorn_logs_json_in_json_mode_and_writes_no_access_log(monkeypatch: Any) -> None:
    config = gunicorn_config(monkeypatch, KEYVAULT_LOG_FORMAT="json")
    assert config["accesslog"] is None and config["control_socket_disable"] is True
    formatter = config["logconfig_dict"]["formatters"]["json"]["()"]
    assert formatter == "settings_app.logs.formatters.RedactingJsonFormatter"
    assert config["logconfig_dict"]["loggers"]["gunicorn.access"]["handlers"] == []
    monkeypatch.delenv("KEYVAULT_LOG_FORMAT")
    assert "logconfig_dict" not in runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_a_gunicorn_worker_says_when_it_is_ready(monkeypatch: Any, tmp_path: Path) -> None:
    """The mark deploy/rolling_reload.py waits for (and the log line), after the URLconf; gone
    when the worker ends, and cleared when gunicorn starts."""
    ready = tmp_path / "workers"
    config = gunicorn_config(monkeypatch, KEYVAULT_WORKER_READY_DIR=str(ready))
    config["on_starting"](server=None)
    said: list[str] = []
    log = SimpleNamespace(info=lambda message, *args: said.append(message % args))
    config["post_worker_init"](worker=SimpleNamespace(pid=4244, log=log))
    assert said == ["Worker ready (pid: 4244)"]
    assert [p.name for p in ready.iterdir()] == ["4244"]
    config["child_exit"](server=None, worker=SimpleNamespace(pid=4244))
    assert list(ready.iterdir()) == []
