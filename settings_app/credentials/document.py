"""A pasted or uploaded Vertex AI service-account JSON, read into credential fields.

The private key's PEM keeps its line breaks exactly: only the document's own JSON escapes
are undone, and the whitespace rule for pasted keys never touches a field inside it.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError

MAX_DOCUMENT_BYTES = 16 * 1024  # a service-account file is about 2.3 KB
KEPT = (
    "project_id",
    "private_key_id",
    "private_key",
    "client_email",
    "client_id",
    "token_uri",
    "universe_domain",
)


def read_service_account(text: str) -> dict[str, str]:
    """The fields keyvault keeps from a service-account JSON document (ValidationError)."""
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            f"The service-account JSON is over {MAX_DOCUMENT_BYTES // 1024} KB; paste only the "
            "key file Google gave you.",
            code="too_long",
        )
    try:
        document = json.loads(text)
    except ValueError:
        raise ValidationError(
            "This is not JSON: paste the whole service-account key file, braces included.",
            code="not_json",
        ) from None
    if not isinstance(document, dict) or document.get("type") != "service_account":
        raise ValidationError(
            'This is not a service-account key file (its "type" must be "service_account").',
            code="not_service_account",
        )
    fields = {name: document[name] for name in KEPT if name in document}
    if not all(isinstance(value, str) for value in fields.values()):
        raise ValidationError("Every field of the service-account file must be text.")
    return fields
