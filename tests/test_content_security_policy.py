"""Every page carries a Content-Security-Policy that the admin works under.

No inline script runs and no script loads from elsewhere; our few inline <style> blocks carry
the per-request nonce. The browser journeys in tests/e2e fail on any CSP violation.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from settings_app.models import Setting

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/login/",
    "/admin/",
    "/admin/settings_app/setting/",
    "/admin/settings_app/setting/add/",
    "/admin/settings_app/auditevent/",
]


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def admin(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("csp", password="x"))
    return client


@pytest.mark.parametrize("url", PAGES)
def test_pages_send_a_strict_policy(admin: Client, url: str) -> None:
    if url == "/admin/login/":
        admin.logout()  # a signed-in user is sent on from the login page
    response = admin.get(url)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_inline_styles_carry_the_nonce_of_their_response(admin: Client) -> None:
    Setting.objects.set_value("openai_api_key", "sk-proj-csp-00000001")
    setting = Setting.objects.set_value("openai_api_key", "sk-proj-csp-00000002")
    page = f"/admin/settings_app/setting/{setting.pk}"
    for url in [
        "/admin/settings_app/setting/",
        f"{page}/change/",
        f"{page}/versions/",
        f"{page}/versions/1/restore/",
        f"{page}/versions/1/destroy/",
        "/admin/settings_app/setting/import-env/",
    ]:
        response = admin.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        styles = re.findall(r"<style([^>]*)>", html)
        assert styles, "these pages have inline styles"
        (nonce,) = [
            value for value in directives(response)["style-src"] if value.startswith("'nonce-")
        ]
        assert all(f'nonce="{nonce[7:-1]}"' in attributes for attributes in styles)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
        assert " style=" not in html and "onclick=" not in html


def test_every_response_gets_a_fresh_nonce(admin: Client) -> None:
    first = directives(admin.get("/admin/settings_app/setting/"))["style-src"]
    second = directives(admin.get("/admin/settings_app/setting/"))["style-src"]
    assert first != second
