"""A structured credential written over the API (`PUT {"fields": {...}}`), by the admin's rules.

Fields left out keep their stored values, and "" clears one, as a blank admin field does. A
posted mask is refused, and changing a routing field (where the secrets are sent) requires every
secret in the same write: a token that cannot read a secret must never point it elsewhere.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from settings_app.encryption.unreadable import UnreadableValue
from settings_app.models import Setting

from . import envelope
from .forms import MASK_CHARACTERS, routing_message
from .schema import StructuredProvider, get_structured
from .services import set_credential


@sensitive_variables("fields", "values")
def write_fields(
    key: str,
    fields: dict[str, str],
    *,
    provider: str | None,
    expected_version: int | None,
) -> Setting:
    """Create `key` as a credential of `provider`, or write `fields` over the stored one;
    ValidationError (nothing stored) when a rule is broken."""
    current = Setting.objects.filter(key=key).first()
    spec = _provider(key, current, provider)
    stored = _stored(current)
    _refuse_masks(spec, fields)
    values = _merged(spec, stored, fields)
    if stored is not None:
        _check_routing(spec, stored, values, fields)
    if current is not None and expected_version is None:
        expected_version = current.version  # the fields merged were read at this version
    return set_credential(key, spec.slug, values, expected_version=expected_version)


def _provider(key: str, current: Setting | None, asked: str | None) -> StructuredProvider:
    slug = asked or (current.provider if current is not None else "")
    if current is not None and asked and asked != current.provider:
        raise ValidationError(
            f"{key} is a {current.provider} credential; it stays with its provider. Write it "
            "under another key."
        )
    spec = get_structured(slug)
    if spec is None and current is not None:
        raise ValidationError(
            f"{key} holds one {current.provider} value, not a structured credential's fields: "
            "send value instead."
        )
    if spec is None:
        raise ValidationError(
            f"fields are for structured credentials; {slug or 'no provider'!r} is not one: "
            "give provider (azure_openai, bedrock, vertex_ai...), or send value instead."
        )
    return spec


def _stored(current: Setting | None) -> envelope.Envelope | None:
    if current is None:
        return None
    if isinstance(current.value, UnreadableValue):
        raise ValidationError(
            "The stored credential cannot be decrypted with the configured keys: fix the keys, "
            "or delete it and write it again."
        )
    return envelope.loads(current.value) if envelope.is_envelope(current.value) else None


def _refuse_masks(spec: StructuredProvider, fields: dict[str, str]) -> None:
    known = {field.name for field in spec.fields}
    for name, value in fields.items():
        secret = name in known and spec.field(name).is_secret
        if secret and any(mark in value for mark in MASK_CHARACTERS):
            raise ValidationError(
                {name: "This is a masked value, not the secret: send the real secret."}
            )


def _merged(
    spec: StructuredProvider, stored: envelope.Envelope | None, fields: dict[str, str]
) -> dict[str, str]:
    """The stored fields with `fields` over them; stored secrets only of the shape the sent
    secrets belong to (sending an Entra client secret switches an Azure key credential)."""
    if stored is None:
        return dict(fields)
    typed = {name for name in spec.secret_names if fields.get(name)}
    allowed = {n for shape in spec.shapes if typed <= set(shape.names) for n in shape.names}
    kept = {n: v for n, v in stored.secrets.items() if n in allowed}
    return {**stored.config, **kept, **fields}


def _check_routing(
    spec: StructuredProvider,
    stored: envelope.Envelope,
    values: dict[str, str],
    fields: dict[str, str],
) -> None:
    changed = [
        spec.field(name).label.lower()
        for name in spec.routing_names
        if values.get(name, "") != stored.fields.get(name, "")
    ]
    needed = [name for name in spec.secret_names if values.get(name)]
    missing = [spec.field(name).label.lower() for name in needed if not fields.get(name)]
    if changed and missing:
        raise ValidationError(routing_message(changed, missing), code="routing_changed")
