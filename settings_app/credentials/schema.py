"""The registry of structured providers: each one's fields, their roles, shapes and patterns.

A field's role decides how it is treated everywhere: a **secret** is write-only, masked and
encrypted; a **routing** field decides where the secrets are sent (changing one requires
re-entering every secret); a **plain** field is neither. Patterns are strict and anchored:
values are names, never URLs, so no stored field can point a secret at another host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SECRET = "secret"  # noqa: S105  (a role name, not a password)
    ROUTING = "routing"
    PLAIN = "plain"


@dataclass(frozen=True)
class Field:
    """One field of a credential: its name, role, pattern and the variable SDKs read it from."""

    name: str
    label: str
    role: Role
    pattern: str
    env: str = ""
    help: str = ""

    @property
    def is_secret(self) -> bool:
        return self.role is Role.SECRET

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None


@dataclass(frozen=True)
class Shape:
    """One way to fill a provider's credential: which fields are required, which optional."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class StructuredProvider:
    """A provider whose setting is a group of fields, in one or more shapes."""

    slug: str
    name: str
    version: int
    fields: tuple[Field, ...]
    shapes: tuple[Shape, ...]
    # A pasted service-account JSON document fills the fields (Vertex AI).
    takes_document: bool = False

    @property
    def schema(self) -> str:
        return f"{self.slug}/{self.version}"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def secret_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.is_secret)

    @property
    def routing_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.role is Role.ROUTING)


AZURE_SUFFIXES = ("openai.azure.com", "cognitiveservices.azure.com", "services.ai.azure.com")
VERTEX_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105  (a URL)
VERTEX_UNIVERSE = "googleapis.com"

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TOKENISH = r"[A-Za-z0-9+/=_.~-]{8,4096}"  # keys and secrets: no spaces, quotes or separators
_AWS_REGION = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}"
_PEM = r"-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{64,8192}-----END PRIVATE KEY-----\n?"

AZURE_OPENAI = StructuredProvider(
    slug="azure_openai",
    name="Azure OpenAI",
    version=1,
    fields=(
        Field(
            "resource_name",
            "Resource name",
            Role.ROUTING,
            r"[a-z0-9][a-z0-9-]{1,62}",
            help="The name before .openai.azure.com, e.g. contoso-eastus; never a URL.",
        ),
        Field(
            "endpoint_suffix",
            "Endpoint suffix",
            Role.ROUTING,
            "|".join(re.escape(s) for s in AZURE_SUFFIXES),
        ),
        Field(
            "api_version",
            "API version",
            Role.PLAIN,
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?",
            env="OPENAI_API_VERSION",
        ),
        Field(
            "deployment",
            "Deployment",
            Role.PLAIN,
            r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
            env="AZURE_OPENAI_DEPLOYMENT",
        ),
        Field(
            "api_key", "API key", Role.SECRET, r"[A-Za-z0-9]{32,128}", env="AZURE_OPENAI_API_KEY"
        ),
        Field("tenant_id", "Entra tenant id", Role.ROUTING, _UUID, env="AZURE_TENANT_ID"),
        Field("client_id", "Client id", Role.ROUTING, _UUID, env="AZURE_CLIENT_ID"),
        Field("client_secret", "Client secret", Role.SECRET, _TOKENISH, env="AZURE_CLIENT_SECRET"),
    ),
    shapes=(
        Shape(
            "api_key",
            ("resource_name", "api_version", "deployment", "api_key"),
            ("endpoint_suffix",),
        ),
        Shape(
            "entra_id",
            (
                "resource_name",
                "api_version",
                "deployment",
                "tenant_id",
                "client_id",
                "client_secret",
            ),
            ("endpoint_suffix",),
        ),
    ),
)

BEDROCK = StructuredProvider(
    slug="bedrock",
    name="AWS Bedrock",
    version=1,
    fields=(
        Field(
            "access_key_id",
            "Access key id",
            Role.ROUTING,
            r"(AKIA|ASIA)[A-Z0-9]{16}",
            env="AWS_ACCESS_KEY_ID",
        ),
        Field(
            "secret_access_key",
            "Secret access key",
            Role.SECRET,
            r"[A-Za-z0-9/+]{40}",
            env="AWS_SECRET_ACCESS_KEY",
        ),
        Field(
            "session_token",
            "Session token",
            Role.SECRET,
            r"[A-Za-z0-9/+=]{16,4096}",
            env="AWS_SESSION_TOKEN",
        ),
        Field(
            "api_key",
            "Bedrock API key",
            Role.SECRET,
            r"(ABSK[A-Za-z0-9+/=]{32,1024}|bedrock-api-key-[A-Za-z0-9+/=_%.-]{32,4096})",
            env="AWS_BEARER_TOKEN_BEDROCK",
        ),
        Field("region", "Region", Role.ROUTING, _AWS_REGION, env="AWS_REGION"),
    ),
    shapes=(
        Shape("access_key", ("access_key_id", "secret_access_key", "region"), ("session_token",)),
        Shape("api_key", ("api_key", "region")),
    ),
)

VERTEX_AI = StructuredProvider(
    slug="vertex_ai",
    name="Google Vertex AI",
    version=1,
    fields=(
        Field(
            "project_id",
            "Project id",
            Role.ROUTING,
            r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
            env="GOOGLE_CLOUD_PROJECT",
        ),
        Field(
            "location",
            "Location",
            Role.ROUTING,
            r"(global|[a-z]+-[a-z]+[0-9]{1,2})",
            env="GOOGLE_CLOUD_LOCATION",
            help="A region such as us-central1, or global.",
        ),
        Field(
            "client_email",
            "Client e-mail",
            Role.ROUTING,
            r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com",
        ),
        Field("client_id", "Client id", Role.PLAIN, r"[0-9]{10,30}"),
        Field("private_key_id", "Private key id", Role.PLAIN, r"[0-9a-f]{40}"),
        Field("token_uri", "Token URI", Role.ROUTING, re.escape(VERTEX_TOKEN_URI)),
        Field("universe_domain", "Universe domain", Role.ROUTING, re.escape(VERTEX_UNIVERSE)),
        Field("private_key", "Private key", Role.SECRET, _PEM),
    ),
    shapes=(
        Shape(
            "service_account",
            (
                "project_id",
                "location",
                "client_email",
                "private_key_id",
                "token_uri",
                "private_key",
            ),
            ("client_id", "universe_domain"),
        ),
    ),
    takes_document=True,
)

OPENAI = StructuredProvider(
    slug="openai",
    name="OpenAI",
    version=1,
    fields=(
        Field("api_key", "API key", Role.SECRET, r"sk-[A-Za-z0-9_-]{16,256}", env="OPENAI_API_KEY"),
        Field(
            "organization",
            "Organization id",
            Role.PLAIN,
            r"org-[A-Za-z0-9]{8,64}",
            env="OPENAI_ORG_ID",
        ),
        Field(
            "project", "Project id", Role.PLAIN, r"proj_[A-Za-z0-9]{8,64}", env="OPENAI_PROJECT_ID"
        ),
    ),
    shapes=(Shape("api_key", ("api_key",), ("organization", "project")),),
)

STRUCTURED: dict[str, StructuredProvider] = {
    p.slug: p for p in (AZURE_OPENAI, BEDROCK, VERTEX_AI, OPENAI)
}
# Providers whose every setting is structured (OpenAI's stays a string until it has extras).
ALWAYS_STRUCTURED = frozenset({"azure_openai", "bedrock", "vertex_ai"})
CHOICES = [(p.slug, p.name) for p in STRUCTURED.values() if p.slug in ALWAYS_STRUCTURED]


def get_structured(slug: str) -> StructuredProvider | None:
    return STRUCTURED.get(slug)
