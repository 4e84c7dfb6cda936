"""The Service tokens admin's create form, as a browser uses it: sign in as a role, show the
form (which issues its one-time field), post it, read the token the page shows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.test import Client

from settings_app import roles
from settings_app.api import tokens

TOKENS = "/admin/settings_app/servicetoken/"
ADD = TOKENS + "add/"
FORM = {
    "name": "billing-worker",
    "description": "Payments",
    "scope": "openai_api_key\r\nanthropic_*\r\n",
    "expires_in_days": "30",
    "allowed_networks": "10.0.0.0/8\r\n2001:db8::/32",
}


def client_as(role: str) -> Client:
    user = User.objects.create_user(
        role, password="pw", is_staff=True, is_superuser=role == "superuser"
    )
    groups = {"viewer": roles.VIEWERS, "editor": roles.EDITORS, "key_admin": roles.KEY_ADMINS}
    if role in groups:
        user.groups.add(Group.objects.get(name=groups[role]))
    client = Client()
    client.force_login(user)
    return client


def submit(client: Client, data: dict[str, str] | None = None) -> Any:
    """Show the form (which issues its one-time field), then post it, as a browser does."""
    form = client.get(ADD)
    return client.post(ADD, {**FORM, **(data or {}), "once": form.context["once"]})


def shown_token(response: Any) -> str:
    found = set(tokens.TOKEN_PATTERN.findall(response.content.decode()))
    assert len(found) == 1, "the page shows exactly one token (alone, and in a run line)"
    return found.pop()
