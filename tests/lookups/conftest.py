"""The API's fixtures (settings, tokens made through the service), for the token cache tests."""

from __future__ import annotations

from tests.api.conftest import make_token, stored

__all__ = ["make_token", "stored"]
