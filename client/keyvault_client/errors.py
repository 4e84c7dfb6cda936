"""The client's errors: one base class, and a subclass per failure a caller may act on.

Messages name the key, the server and what to do; never the token or a value.
"""

from __future__ import annotations


class KeyvaultError(Exception):
    """Base class of every error the keyvault client raises."""


class ConfigurationError(KeyvaultError):
    """The client is not configured: no URL or token, or one that cannot be right."""


class NotFound(KeyvaultError):
    """No such setting, or one outside the token's scope (the server does not say which)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        names = ", ".join(repr(key) for key in keys)
        noun = "setting" if len(keys) == 1 else "settings"
        super().__init__(
            f"keyvault has no {noun} {names} that this token may read: check the spelling "
            "and the token's scope."
        )


class Unauthorized(KeyvaultError):
    """The server refused the token: missing, malformed, unknown, expired or revoked."""


class Forbidden(KeyvaultError):
    """The token is valid but not allowed from this network address."""


class Unavailable(KeyvaultError):
    """The server could not be reached or failed (timeout, connection error, 5xx)."""


class RateLimited(Unavailable):
    """The token made too many requests; `retry_after` says how many seconds to wait."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ProtocolError(Unavailable):
    """The server answered something the API contract does not allow (e.g. not JSON)."""


class Refused(KeyvaultError):
    """The server refused a write and said why (a bad value, a version that cannot be restored)."""


class Conflict(KeyvaultError):
    """Check-and-set failed: the setting is not at the version the writer expected."""

    def __init__(self, message: str, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(message)


class StructuredCredential(KeyvaultError):
    """A setting holds a structured credential (several fields), not one string."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"setting {key!r} is a structured credential with several fields: read it with "
            f"get_credential({key!r}), or `keyvault get {key} --field NAME`."
        )
