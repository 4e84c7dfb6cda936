"""`Credential`: what `Setting.objects.get_credential` returns, immutable, with SDK variables.

`env()` names the variables each provider's SDKs read; `files()` names content to write to a
private file whose path goes in the variable (Vertex AI's service-account JSON). A single-key
setting is a credential too, with `secrets == {"api_key": value}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from settings_app.providers import masking

from .envelope import Envelope, is_envelope, loads
from .schema import AZURE_SUFFIXES, StructuredProvider, get_structured


@dataclass(frozen=True, repr=False)
class Credential:
    """A provider credential: `config` (plain and routing fields) and `secrets`, read-only."""

    provider: str
    config: Mapping[str, str]
    secrets: Mapping[str, str]
    single_key_variable: str = ""

    def __repr__(self) -> str:
        # Never the secrets: repr() ends up in logs and tracebacks.
        return f"<Credential provider={self.provider!r} fields={sorted(self.fields)!r}>"

    @property
    def fields(self) -> dict[str, str]:
        return {**self.config, **self.secrets}

    @property
    def structured(self) -> StructuredProvider | None:
        return None if self.single_key_variable else get_structured(self.provider)

    def env(self) -> dict[str, str]:
        """The environment variables the provider's SDKs read, from this credential."""
        if self.structured is None:
            return {self.single_key_variable: self.secrets["api_key"]}
        found = {
            f.env: self.fields[f.name] for f in self.structured.fields if f.name in self.fields
        }
        variables = {name: value for name, value in found.items() if name}
        if self.provider == "azure_openai":
            variables["AZURE_OPENAI_ENDPOINT"] = _azure_endpoint(self.config)
        return variables

    def files(self) -> dict[str, str]:
        """Variables that point at a file: the file's content (write it 0600, pass its path)."""
        if self.provider != "vertex_ai" or self.structured is None:
            return {}
        return {"GOOGLE_APPLICATION_CREDENTIALS": service_account_json(self.fields)}

    def masks(self) -> dict[str, str]:
        """Every field, secrets masked by the one masking rule, the others as they are."""
        masked = {name: masking.mask(_unarmoured(value)) for name, value in self.secrets.items()}
        return {**self.config, **masked}


def from_envelope(envelope: Envelope) -> Credential:
    return Credential(
        envelope.provider.slug,
        MappingProxyType(dict(envelope.config)),
        MappingProxyType(dict(envelope.secrets)),
    )


def from_value(provider: str, key: str, value: str) -> Credential:
    """The credential a stored value holds: an envelope, or a single key."""
    if is_envelope(value):
        return from_envelope(loads(value))
    from settings_app import providers

    known = providers.get_provider(provider)
    variable = (known.setting_key if known else key).upper()
    return Credential(
        provider,
        MappingProxyType({}),
        MappingProxyType({"api_key": value}),
        single_key_variable=variable,
    )


def service_account_json(fields: Mapping[str, str]) -> str:
    """The service-account JSON document Google's libraries read, rebuilt from the fields."""
    names = (
        "project_id",
        "private_key_id",
        "private_key",
        "client_email",
        "client_id",
        "token_uri",
        "universe_domain",
    )
    document = {"type": "service_account", **{n: fields[n] for n in names if n in fields}}
    return json.dumps(document, indent=2)


def _unarmoured(value: str) -> str:
    """A PEM key's base64 body (its armour lines are the same for every key), else `value`."""
    if not value.startswith("-----BEGIN"):
        return value
    return "".join(line for line in value.splitlines() if not line.startswith("-----"))


def _azure_endpoint(config: Mapping[str, str]) -> str:
    suffix = config.get("endpoint_suffix", AZURE_SUFFIXES[0])
    return f"https://{config['resource_name']}.{suffix}/"
