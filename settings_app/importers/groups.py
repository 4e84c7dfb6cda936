"""Known families of .env variables imported as one structured credential, not apart.

`AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT`, `OPENAI_API_VERSION` and
`AZURE_OPENAI_DEPLOYMENT` make one Azure OpenAI credential; `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and `AWS_REGION` one Bedrock credential. A family
is grouped when its key variable is present; a member it needs but lacks is a problem that
names it. `import_env --no-group` keeps them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from settings_app.credentials import envelope
from settings_app.credentials.schema import AZURE_SUFFIXES

from .plan import Candidate


@dataclass(frozen=True)
class Family:
    """Variables that belong together: which one starts a group, and how fields are read."""

    setting_key: str
    provider: str
    anchor: str  # the group exists when this variable is set
    members: tuple[str, ...]
    to_fields: Callable[[Mapping[str, str]], dict[str, str]]


def azure_fields(found: Mapping[str, str]) -> dict[str, str]:
    """Fields from AZURE_OPENAI_* variables; the endpoint URL becomes a resource name."""
    fields = {
        "api_key": found.get("AZURE_OPENAI_API_KEY", ""),
        "api_version": found.get("OPENAI_API_VERSION", ""),
        "deployment": found.get("AZURE_OPENAI_DEPLOYMENT", ""),
    }
    endpoint = urlsplit(found.get("AZURE_OPENAI_ENDPOINT", ""))
    host = endpoint.hostname or ""
    resource, _, suffix = host.partition(".")
    if endpoint.scheme != "https" or suffix not in AZURE_SUFFIXES or endpoint.port:
        raise ValidationError(
            "AZURE_OPENAI_ENDPOINT is not an https://<resource>.openai.azure.com endpoint"
        )
    suffix_field = {} if suffix == AZURE_SUFFIXES[0] else {"endpoint_suffix": suffix}
    return {**fields, "resource_name": resource, **suffix_field}


def aws_fields(found: Mapping[str, str]) -> dict[str, str]:
    return {
        "access_key_id": found.get("AWS_ACCESS_KEY_ID", ""),
        "secret_access_key": found.get("AWS_SECRET_ACCESS_KEY", ""),
        "session_token": found.get("AWS_SESSION_TOKEN", ""),
        "region": found.get("AWS_REGION") or found.get("AWS_DEFAULT_REGION", ""),
    }


FAMILIES = (
    Family(
        "azure_openai",
        "azure_openai",
        "AZURE_OPENAI_API_KEY",
        ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION",
         "AZURE_OPENAI_DEPLOYMENT"),
        azure_fields,
    ),
    Family(
        "aws_bedrock",
        "bedrock",
        "AWS_ACCESS_KEY_ID",
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
         "AWS_DEFAULT_REGION"),
        aws_fields,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Group:
    """A family found in a file: the candidate it makes and the variables it took."""

    candidate: Candidate
    names: tuple[str, ...]


def find_groups(values: Mapping[str, str], source: str) -> list[Group]:
    """The families whose anchor variable is in `values` (name -> value), as candidates."""
    return [_group(f, values, source) for f in FAMILIES if values.get(f.anchor)]


def _group(family: Family, values: Mapping[str, str], source: str) -> Group:
    names = tuple(name for name in family.members if values.get(name))
    note = f"grouped {', '.join(names)} into one credential"
    base = Candidate(family.setting_key, family.provider, source)
    found = {name: values[name] for name in names}
    try:
        stored = envelope.build(family.provider, family.to_fields(found)).dumps()
    except ValidationError as error:
        problem = f"{note}, but: {_problem(error)}"
        return Group(Candidate(base.name, base.provider, source, problem=problem), names)
    return Group(Candidate(base.name, base.provider, source, value=stored, note=note), names)


def _problem(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(m)}" for name, m in error.message_dict.items())
    return " ".join(error.messages)
