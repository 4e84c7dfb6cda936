"""What `keyvault run` puts in the child's environment: variables, private files, and masks.

A single-key setting goes in one variable (`--env NAME=key`, or its upper-cased key). A
structured credential goes in whole: every variable of its `env`, and for each of its `files`
a 0600 file whose path goes in the variable (removed when the child exits).
"""

from __future__ import annotations

from .credentials import Credential
from .errors import NotFound, ProtocolError
from .variables import MappingError, automatic_variables

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from collections.abc import Mapping


class Injection:
    """Variables for the child, files to write, and the secrets to mask in its output."""

    __slots__ = ("files", "owners", "secrets", "skipped", "variables")

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.files: dict[str, str] = {}
        self.secrets: list[str] = []
        self.owners: dict[str, str] = {}  # variable -> the setting that set it
        self.skipped: list[str] = []  # one line per setting left out, for stderr

    def add_value(self, name: str, key: str, value: str | Credential) -> None:
        if isinstance(value, Credential):
            raise MappingError(
                f"setting {key!r} is a structured credential: it sets its own variables "
                f"({', '.join(sorted([*value.env, *value.files]))}); pass --credential {key}."
            )
        if "\x00" in value:
            raise ProtocolError(
                f"setting {key!r} holds a NUL byte, which no environment variable can carry."
            )
        self._claim(name, key)
        self.variables[name] = value
        self.secrets.append(value)

    def add_credential(self, key: str, value: str | Credential) -> None:
        if not isinstance(value, Credential):
            raise MappingError(
                f"setting {key!r} is a single value, not a structured credential: pass it "
                f"with --env NAME={key}."
            )
        for name in [*value.env, *value.files]:
            self._claim(name, key)
        self.variables.update(value.env)
        self.files.update(value.files)
        self.secrets.extend(value.secrets)

    def _claim(self, name: str, key: str) -> None:
        owner = self.owners.setdefault(name, key)
        if owner != key:
            raise MappingError(
                f"settings {owner!r} and {key!r} would both set {name}: choose one with "
                "--env or --credential."
            )


def plan(
    values: Mapping[str, str | Credential],
    explicit: Mapping[str, str],
    credentials: list[str],
    *,
    everything: bool,
) -> Injection:
    """The injection for `values` fetched: explicit mappings and credentials first, then (with
    `everything`) every other setting, single keys under their automatic names."""
    missing = [key for key in [*explicit.values(), *credentials] if key not in values]
    if missing:
        raise NotFound(missing)
    injection = Injection()
    for name, key in explicit.items():
        injection.add_value(name, key, values[key])
    chosen = set(explicit.values()) | set(credentials)
    rest = {key: value for key, value in values.items() if key not in chosen} if everything else {}
    structured = [key for key, value in rest.items() if isinstance(value, Credential)]
    for key in [*credentials, *sorted(structured)]:
        injection.add_credential(key, values[key])
    singles = [key for key in rest if key not in structured]
    names, injection.skipped = automatic_variables(singles, explicit)
    for name, key in names.items():
        injection.add_value(name, key, values[key])
    return injection
