"""Allowed networks: 403 outside them, IPv4 and IPv6, after the trusted-proxy rule."""

from __future__ import annotations

import pytest

from settings_app.api.networks import address_allowed
from settings_app.models import AuditEvent
from tests.api.conftest import SETTINGS_URL, bearer

OPENAI_URL = SETTINGS_URL + "openai_api_key"
NETWORKS = ["10.20.0.0/16", "2001:db8:1::/48", "192.0.2.7/32"]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.20.3.4", True),
        ("10.21.0.1", False),
        ("192.0.2.7", True),
        ("192.0.2.8", False),
        ("2001:db8:1:ffff::1", True),
        ("2001:db8:2::1", False),
        ("::ffff:10.20.3.4", False),  # client_ip() unwraps mapped addresses before this
        ("", False),
    ],
)
def test_address_rules(address: str, allowed: bool) -> None:
    assert address_allowed(NETWORKS, address) is allowed


def test_no_networks_allows_any_address() -> None:
    assert address_allowed([], "203.0.113.1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "status"),
    [("10.20.9.9", 200), ("10.99.0.1", 403), ("2001:db8:1::5", 200), ("2001:db8:9::5", 403)],
)
def test_a_token_is_refused_outside_its_networks(stored, make_token, remote, status) -> None:
    client = bearer(make_token(allowed_networks=NETWORKS).secret, REMOTE_ADDR=remote)
    response = client.get(OPENAI_URL)
    assert response.status_code == status
    if status == 403:
        assert response.json() == {
            "detail": "This token may not be used from your network address."
        }
        assert b"sk-proj" not in response.content
        assert not AuditEvent.objects.filter(action="api_read").exists()


@pytest.mark.django_db
def test_behind_a_proxy_the_forwarded_address_is_checked(stored, make_token, settings) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 1
    secret = make_token(allowed_networks=["10.20.0.0/16"]).secret
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    inside = bearer(secret, HTTP_X_FORWARDED_FOR="10.20.0.9", **proxy)
    outside = bearer(secret, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    spoofed = bearer(secret, HTTP_X_FORWARDED_FOR="10.20.0.9, 203.0.113.5", **proxy)
    assert inside.get(OPENAI_URL).status_code == 200
    assert outside.get(OPENAI_URL).status_code == 403
    assert spoofed.get(OPENAI_URL).status_code == 403  # the client wrote the first entry


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_help(stored, make_token) -> None:
    secret = make_token(allowed_networks=["10.20.0.0/16"]).secret
    forged = bearer(secret, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.20.0.9")
    assert forged.get(OPENAI_URL).status_code == 403
