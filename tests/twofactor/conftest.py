"""Fixtures for the two-factor tests: users by role, and sign-in through the real login page."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.support.role_users import PASSWORD, editor, key_admin, setting, superuser, viewer  # noqa: F401

LOGIN = "/admin/login/"
VERIFY = "/admin/2fa/verify/"
ENROL = "/admin/2fa/enrol/"


def sign_in_with_password(client: Client, user: Any) -> Any:
    """The password step, as the admin login form does it; returns the response to the POST."""
    return client.post(
        f"{LOGIN}?next=/admin/", {"username": user.get_username(), "password": PASSWORD}
    )


def enter_code(client: Client, code: str, next_path: str = "/admin/") -> Any:
    return client.post(f"{VERIFY}?next={next_path}", {"code": code})
