"""The errors of structured credentials, each with a message that says what to do instead."""

from __future__ import annotations


class StructuredCredentialError(TypeError):
    """A structured credential was read as one string: read it with `get_credential`."""

    def __init__(self, key: str, provider: str) -> None:
        super().__init__(
            f"The setting {key!r} holds a structured {provider} credential, not one string: "
            f"read it with Setting.objects.get_credential({key!r})."
        )
