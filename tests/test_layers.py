"""The app's modules import each other without cycles, so start-up never depends on import order."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP = ROOT / "settings_app"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    """Every module of settings_app but its migrations, by dotted name."""
    return {
        module_name(path): path
        for path in APP.rglob("*.py")
        if "migrations" not in path.relative_to(APP).parts
    }


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def module_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The app modules `name` imports when it is imported (not inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:  # top level only: function-local imports wait
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, name, path.name == "__init__.py")
            submodules = {f"{target}.{alias.name}" for alias in node.names} & known
            # `from package import submodule` needs the submodule, not the package's names.
            found.update(submodules if len(submodules) == len(node.names) else {target})
            found.update(submodules)
    return {target for target in found if target in known and target != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` as a list of modules, or None when there is none."""
    done: set[str] = set()
    for start in sorted(graph):
        path: list[str] = []
        stack = [(start, iter(sorted(graph[start])))]
        on_path = {start}
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(path.pop())
                done.add(node)
            elif child in on_path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                on_path.add(child)
                path.append(child)
    return None


def import_graph() -> dict[str, set[str]]:
    modules = app_modules()
    return {name: module_level_imports(name, path, set(modules)) for name, path in modules.items()}


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_app_has_no_module_level_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "Import cycle: " + " -> ".join(cycle or [])


def test_models_lists_every_model_it_imports_in_all() -> None:
    from settings_app import models

    exported = set(models.__all__)
    defined = {
        name
        for name, value in vars(models).items()
        if isinstance(value, type) and getattr(value, "_meta", None) is not None
    }
    assert defined <= exported, sorted(defined - exported)
    assert "noqa: E402" not in (APP / "models.py").read_text()


def _reexports(source: str) -> list[ast.ImportFrom]:
    """models.py's `from .<package>.models import ...` lines."""
    return [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom)
        and node.level
        and (node.module or "").endswith("models")
    ]


def _with_reexports_first(source: str, only: str | None = None) -> str:
    """models.py with its re-exports (or only the one from `only`) moved above its other
    imports (right after `from __future__`), where an import cycle would break start-up."""
    lines = source.splitlines(keepends=True)
    reexports = [node for node in _reexports(source) if only in (None, node.module)]
    moved = ["".join(lines[node.lineno - 1 : node.end_lineno]) for node in reexports]
    for node in reversed(reexports):
        del lines[node.lineno - 1 : node.end_lineno]
    anchor = lines.index("from __future__ import annotations\n") + 1
    return "".join([*lines[:anchor], *moved, *lines[anchor:]])


REEXPORTED = [node.module for node in _reexports((APP / "models.py").read_text())]


def test_models_reexports_the_models_of_every_package_that_defines_some() -> None:
    packages = {
        path.parent.name
        for path in APP.glob("*/models.py")
        if any(isinstance(node, ast.ClassDef) for node in ast.parse(path.read_text()).body)
    }
    assert {str(module).removesuffix(".models") for module in REEXPORTED} == packages


@pytest.mark.slow
@pytest.mark.parametrize("only", [None, *REEXPORTED], ids=["all", *map(str, REEXPORTED)])
def test_the_app_starts_with_a_model_reexport_at_the_top(tmp_path: Path, only: str | None) -> None:
    for package in ("settings_app", "keyvault_site", "tests"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    moved = tmp_path / "settings_app" / "models.py"
    source = moved.read_text()
    moved.write_text(_with_reexports_first(source, only))
    assert moved.read_text() != source
    code = "import django; django.setup(); from settings_app.models import Setting, SettingVersion"
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "tests.settings"}
    started = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
