"""The provider keys in a .env file, read by python-dotenv's own parser, and the file's clean-up.

python-dotenv decides what a line means (quotes, `export`, comments, multi-line values); its
parser also keeps each statement's exact text, so the file can be written back unchanged except
for the imported lines. `${VAR}` references are never expanded: expanding them would read this
process's environment.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv.parser import Binding, parse_stream

from .errors import SourceError
from .groups import find_groups
from .names import KNOWN_VARIABLES, looks_like_secret, provider_for_name, setting_key_for
from .plan import Candidate

MOVED_COMMENT = "# moved to keyvault: {name}"
REFERENCE_MARK = "${"


@dataclass(frozen=True)
class EnvEntry:
    """One `NAME=value` statement and the line its name is on."""

    name: str
    value: str | None = field(repr=False)
    line: int


@dataclass(frozen=True)
class EnvFile:
    label: str  # the path, "standard input" or an uploaded file's name
    entries: list[EnvEntry]
    unparsed_lines: list[int]  # statements python-dotenv could not parse (left alone)


@dataclass(frozen=True)
class Selection:
    candidates: list[Candidate]
    lines: dict[str, tuple[int, ...]]  # candidate source -> its lines, for the clean-up
    ignored: int  # variables that are not secrets (DEBUG=true...)


def parse_env(text: str, label: str) -> EnvFile:
    entries, unparsed = [], []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            unparsed.append(_first_line(binding))
        elif binding.key is not None:
            entries.append(EnvEntry(binding.key, binding.value, _first_line(binding)))
    return EnvFile(label, entries, unparsed)


def _first_line(binding: Binding) -> int:
    """The line of the statement itself: python-dotenv counts blank lines before it in."""
    text = binding.original.string
    leading = text[: len(text) - len(text.lstrip())]
    return binding.original.line + leading.count("\n")


def select(env: EnvFile, *, include_all: bool, group: bool = True) -> Selection:
    """Candidates for the known provider variables (and, with `include_all`, every secret);
    with `group`, known families (groups.py) become one credential each."""
    by_name: dict[str, list[EnvEntry]] = defaultdict(list)
    for entry in env.entries:
        by_name[entry.name].append(entry)
    candidates: list[Candidate] = []
    lines: dict[str, tuple[int, ...]] = {}
    ignored = 0
    if group:
        candidates, lines, taken = _grouped(env, by_name)
        by_name = {name: entries for name, entries in by_name.items() if name not in taken}
    for name, entries in by_name.items():
        if not (name.upper() in KNOWN_VARIABLES or looks_like_secret(name)):
            ignored += 1
            continue
        entry = entries[-1]  # python-dotenv's rule: the last definition wins
        source = f"{env.label} line {entry.line}"
        candidate = Candidate(setting_key_for(name), provider_for_name(name), source)
        candidates.append(_judged(candidate, entries, include_all))
        lines[source] = (entry.line,)
    return Selection(candidates, lines, ignored)


def _grouped(
    env: EnvFile, by_name: Mapping[str, list[EnvEntry]]
) -> tuple[list[Candidate], dict[str, tuple[int, ...]], set[str]]:
    """The candidates of grouped families, their lines, and the variables they took."""
    values = {name: entries[-1].value or "" for name, entries in by_name.items()}
    candidates: list[Candidate] = []
    lines: dict[str, tuple[int, ...]] = {}
    taken: set[str] = set()
    for found in find_groups(values, env.label):
        numbers = tuple(by_name[name][-1].line for name in found.names)
        source = f"{env.label} lines {', '.join(map(str, numbers))}"
        candidates.append(replace(found.candidate, source=source))
        lines[source] = numbers
        taken.update(found.names)
    return candidates, lines, taken


def _judged(candidate: Candidate, entries: list[EnvEntry], include_all: bool) -> Candidate:
    entry = entries[-1]
    if len(entries) > 1:
        numbers = ", ".join(str(e.line) for e in entries)
        problem = f"{entry.name} is defined on lines {numbers}; keep one definition"
        return Candidate(candidate.name, candidate.provider, candidate.source, problem=problem)
    if entry.name.upper() not in KNOWN_VARIABLES and not include_all:
        skip = "not a known provider variable; importing all secrets (--all) includes it"
        return Candidate(candidate.name, candidate.provider, candidate.source, skip=skip)
    if not entry.value:
        return Candidate(candidate.name, candidate.provider, candidate.source, skip="empty")
    if REFERENCE_MARK in entry.value:
        problem = "its value refers to another variable (${...}), which is not expanded"
        return Candidate(candidate.name, candidate.provider, candidate.source, problem=problem)
    return Candidate(candidate.name, candidate.provider, candidate.source, value=entry.value)


# --- clean-up --------------------------------------------------------------------------------


def without_lines(text: str, moved: Mapping[int, str]) -> str:
    """`text` with the statement on each line of `moved` replaced by a "moved to" comment."""
    parts = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        name = moved.get(_first_line(binding)) if binding.key is not None else None
        if name is None:
            parts.append(original)
            continue
        statement = original.lstrip()
        leading = original[: len(original) - len(statement)]
        newline = original[len(original.rstrip("\r\n")) :]  # keeps CRLF files CRLF
        parts.append(leading + MOVED_COMMENT.format(name=name) + newline)
    return "".join(parts)


def rewrite_file(path: Path, read_text: str, moved: Mapping[int, str]) -> None:
    """Replace the file at `path` by its text without `moved` lines: atomically, same mode.

    Refuses when the file changed since it was read as `read_text`. The new text is written
    to a temporary file beside it and renamed over it, so a crash leaves one whole file.
    """
    target = path.resolve()  # a symlinked .env keeps its link; the file it points to changes
    current = read_env_text(target)
    if current != read_text:
        raise SourceError(f"{path} changed while it was being imported; nothing was deleted.")
    info = target.stat()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        os.fchmod(handle, stat.S_IMODE(info.st_mode))
        _keep_owner(handle, info)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(without_lines(current, moved))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _keep_owner(handle: int, info: os.stat_result) -> None:
    with contextlib.suppress(PermissionError):  # only root can give a file away
        os.fchown(handle, info.st_uid, info.st_gid)


def read_env_text(path: Path) -> str:
    """The text of the .env file at `path`, with its exact line endings."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except OSError as error:
        raise SourceError(f"Cannot read {path}: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not UTF-8 text; convert it first.") from None
