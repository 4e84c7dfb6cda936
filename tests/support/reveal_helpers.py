"""The reveal form carries a one-time token: tests fetch the form first, as a browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client


def once_token(client: Client, url: str) -> str:
    """The token of the reveal form at `url`, or "" where the form is refused."""
    response = client.get(url)
    context: Any = response.context
    return str(context["once"]) if response.status_code == 200 and context else ""


def post_reveal(client: Client, url: str, data: dict[str, str]) -> Any:
    """Show the form, then submit it with `data` and the form's token."""
    return client.post(url, {**data, "once": once_token(client, url)})
