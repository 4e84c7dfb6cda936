"""Passkey ceremonies behind the password: no passkey is added or used on a password alone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.support.second_factor import totp_device

from .conftest import sign_in_with_password

pytestmark = [pytest.mark.django_db, pytest.mark.password_only]
BEGIN_REGISTRATION = "/admin/2fa/passkeys/registration/begin/"
BEGIN_SIGN_IN = "/admin/2fa/passkeys/authentication/begin/"


def test_a_password_alone_cannot_add_a_passkey_to_an_account_with_a_second_factor(
    client: Client, key_admin: User
) -> None:
    totp_device(key_admin)
    sign_in_with_password(client, key_admin)
    assert client.post(BEGIN_REGISTRATION).status_code == 403


def test_the_first_passkey_can_be_added_after_the_password(client: Client, key_admin: User) -> None:
    sign_in_with_password(client, key_admin)
    options = client.post(BEGIN_REGISTRATION)
    assert options.status_code == 200 and options.json()["rp"]["name"] == "keyvault"


def test_there_is_no_passwordless_sign_in(client: Client) -> None:
    assert client.post(BEGIN_SIGN_IN).status_code == 403


def test_a_locked_out_account_cannot_use_a_passkey(
    client: Client, key_admin: User, settings
) -> None:
    settings.AXES_ENABLED = True
    totp_device(key_admin)
    sign_in_with_password(client, key_admin)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/admin/login/", {"username": "kim", "password": "wrong"})
    assert client.post(BEGIN_SIGN_IN).status_code == 200
    client.post("/admin/login/", {"username": "kim", "password": "wrong"})
    assert client.post(BEGIN_SIGN_IN).status_code == 429
