"""KEYVAULT_TRUSTED_PROXY_COUNT: which X-Forwarded-For entry is the client, and which are forged."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from settings_app.request_context.client_address import client_ip


def request(remote: str = "192.0.2.1", forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_header_is_ignored(settings) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("198.51.100.7", forwarded="203.0.113.9")) == "198.51.100.7"


def test_the_default_trusts_no_proxy(settings) -> None:
    del settings.KEYVAULT_TRUSTED_PROXY_COUNT
    assert client_ip(request("198.51.100.7", forwarded="203.0.113.9")) == "198.51.100.7"


def test_one_proxy_takes_the_address_it_appended(settings) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("10.0.0.2", forwarded="203.0.113.9")) == "203.0.113.9"


def test_one_proxy_ignores_what_the_client_wrote_before_it(settings) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 1
    # The client sent "X-Forwarded-For: 10.1.2.3" itself; nginx appended its real address.
    spoofed = request("10.0.0.2", forwarded="10.1.2.3, 203.0.113.9")
    assert client_ip(spoofed) == "203.0.113.9"


def test_two_proxies_take_the_second_from_the_right(settings) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 2
    chain = request("10.0.0.2", forwarded="6.6.6.6, 203.0.113.9, 10.0.0.1")
    assert client_ip(chain) == "203.0.113.9"


def test_fewer_entries_than_proxies_fall_back_to_the_socket(settings) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("10.0.0.2", forwarded="203.0.113.9")) == "10.0.0.2"
    assert client_ip(request("10.0.0.2")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:192.0.2.5", "192.0.2.5"),
        ("not-an-address", ""),
        ("203.0.113.9:4430", ""),
    ],
)
def test_addresses_are_normalised(settings, raw: str, expected: str) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("10.0.0.2", forwarded=raw)) == expected
