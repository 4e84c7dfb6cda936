"""Canonical JSON storage: one encrypted value per setting holds the whole credential.

    {"config":{"api_version":"2024-10-21","deployment":"gpt-4o","resource_name":"contoso"},
     "schema":"azure_openai/1","secrets":{"api_key":"..."}}

Routing fields live inside the envelope next to the secrets, so whoever can write the database
(but not the encryption keys) cannot redirect a secret. Keys are sorted and there is no
whitespace, so equal credentials are equal strings: the blind index and `find_secret` rely on it.
Every field is checked against the registry again whenever an envelope is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeGuard

from django.core.exceptions import ValidationError

from .schema import StructuredProvider, get_structured

MARKER = '{"config":'  # canonical envelopes start so; no provider key does


@dataclass(frozen=True, repr=False)
class Envelope:
    """A validated credential: its provider, shape, plain/routing config and secrets."""

    provider: StructuredProvider
    shape: str
    config: dict[str, str]
    secrets: dict[str, str]

    def __repr__(self) -> str:
        # Never the secrets: repr() ends up in logs and tracebacks.
        return f"<Envelope {self.provider.schema} shape={self.shape!r}>"

    def dumps(self) -> str:
        document = {"schema": self.provider.schema, "config": self.config, "secrets": self.secrets}
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def fields(self) -> dict[str, str]:
        return {**self.config, **self.secrets}


def is_envelope(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(MARKER)


def build(slug: str, values: dict[str, str]) -> Envelope:
    """Validate `values` (blank ones dropped) as a `slug` credential; ValidationError per field."""
    provider = get_structured(slug)
    if provider is None:
        raise ValidationError(f"'{slug}' is not a structured provider.", code="unknown_provider")
    given = {name: value for name, value in values.items() if value}
    _check_fields(provider, given)
    shape = _choose_shape(provider, given)
    config = {n: v for n, v in given.items() if not provider.field(n).is_secret}
    secrets = {n: v for n, v in given.items() if provider.field(n).is_secret}
    return Envelope(provider, shape, config, secrets)


def loads(text: str) -> Envelope:
    """The envelope stored as `text`, checked again against the registry (ValidationError)."""
    try:
        document = json.loads(text)
        slug, _, version = document["schema"].partition("/")
        values = {**document["config"], **document["secrets"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationError("The stored credential is not a valid envelope.") from None
    provider = get_structured(slug)
    if provider is None or version != str(provider.version):
        raise ValidationError(f"The stored credential's schema is unknown: {slug}/{version}.")
    if not all(isinstance(v, str) for v in values.values()):
        raise ValidationError("Every field of a stored credential must be text.")
    return build(slug, values)


def _check_fields(provider: StructuredProvider, given: dict[str, str]) -> None:
    known = {f.name for f in provider.fields}
    errors: dict[str, list[str]] = {}
    for name, value in given.items():
        if name not in known:
            errors.setdefault("__all__", []).append(
                f"{provider.name} credentials have no field '{name}'; their fields are "
                f"{', '.join(sorted(known))}."
            )
        elif not provider.field(name).matches(value):
            errors[name] = [_pattern_error(provider, name)]
    if errors:
        raise ValidationError(errors)


def _pattern_error(provider: StructuredProvider, name: str) -> str:
    field = provider.field(name)
    hint = f" {field.help}" if field.help else ""
    # Never quotes the value: it may be a secret.
    return f"This is not a valid {provider.name} {field.label.lower()}.{hint}"


def _choose_shape(provider: StructuredProvider, given: dict[str, Any]) -> str:
    """The first shape whose required fields are all given and which allows every given one."""
    for shape in provider.shapes:
        if set(shape.required) <= set(given) and set(given) <= set(shape.names):
            _check_shape_rules(provider, shape.name, given)
            return shape.name
    raise ValidationError(_shape_error(provider, given), code="shape")


def _check_shape_rules(provider: StructuredProvider, shape: str, given: dict[str, Any]) -> None:
    temporary = str(given.get("access_key_id", "")).startswith("ASIA")
    if provider.slug == "bedrock" and temporary and "session_token" not in given:
        raise ValidationError(
            {"session_token": "An ASIA… access key id is temporary: enter its session token."}
        )


def _shape_error(provider: StructuredProvider, given: dict[str, Any]) -> str:
    ways = "; or ".join(
        ", ".join(provider.field(n).label.lower() for n in shape.required)
        for shape in provider.shapes
    )
    return f"A {provider.name} credential needs: {ways}. Fill in exactly one of these sets."


def check_stored(slug: str, text: str) -> str:
    """`text` in canonical form, if it is a valid envelope of provider `slug`."""
    found = loads(text)
    if found.provider.slug != slug:
        raise ValidationError(
            f"This credential is for {found.provider.name}, not for the provider chosen."
        )
    return found.dumps()
