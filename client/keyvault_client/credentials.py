"""Structured credentials as the client sees them, and their private files for `keyvault run`.

The API answers a structured credential (Azure OpenAI, Bedrock, Vertex AI...) with `fields`,
`env` (the variables its SDKs read) and `files` (variable -> content to write to a private file
whose path goes in the variable). `keyvault run` writes each file 0600 and removes it when the
child exits.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


class Credential:
    """A structured credential: every field, its SDK variables, its files and its secrets."""

    __slots__ = ("env", "fields", "files", "secret_fields")

    def __init__(
        self,
        fields: Mapping[str, str],
        env: Mapping[str, str],
        files: Mapping[str, str],
        secret_fields: Iterable[str] = (),
    ) -> None:
        self.fields, self.env, self.files = dict(fields), dict(env), dict(files)
        self.secret_fields = tuple(secret_fields)

    def __repr__(self) -> str:
        return f"<Credential fields={sorted(self.fields)!r}>"  # never a value

    @property
    def secrets(self) -> list[str]:
        """What `keyvault run` masks in the child's output: secret fields and file contents."""
        return [self.fields[n] for n in self.secret_fields if n in self.fields] + list(
            self.files.values()
        )


def parse_credential(item: Mapping[str, object]) -> Credential | None:
    """The credential in an API item with `fields`, or None (a single-key setting)."""
    parts = [item.get(name) for name in ("fields", "env", "files")]
    if not all(_is_text_map(part) for part in parts):
        return None
    secret_fields = item.get("secret_fields") or []
    names = (
        [n for n in secret_fields if isinstance(n, str)] if isinstance(secret_fields, list) else []
    )
    fields, env, files = (dict(part) for part in parts)  # type: ignore[call-overload]
    return Credential(fields, env, files, names)


def _is_text_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def write_private_files(files: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Write each content to a new 0600 file: (variable -> path, paths to remove later)."""
    variables: dict[str, str] = {}
    if not files:
        return variables, []
    import tempfile  # here, not at the top: it imports shutil, and start-up time counts

    try:
        for name, content in files.items():
            descriptor, path = tempfile.mkstemp(prefix="keyvault-", suffix=".json")  # 0600
            variables[name] = path
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(content)
    except OSError:
        remove_files(variables.values())
        raise
    return variables, list(variables.values())


def remove_files(paths: Iterable[str]) -> None:
    for path in paths:
        try:  # noqa: SIM105  (contextlib would cost the CLI's start-up an import)
            os.unlink(path)
        except FileNotFoundError:
            pass
