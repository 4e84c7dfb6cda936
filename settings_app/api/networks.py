"""The networks a token may be used from: CIDRs, IPv4 and IPv6; none means anywhere."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.core.exceptions import ValidationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> Network:
    """A CIDR such as 10.0.0.0/8 or 2001:db8::/32 (a bare address means just that address)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as error:
        raise ValidationError(
            f"{text!r} is not a network: give a CIDR such as 10.0.0.0/8, 192.0.2.7 or "
            f"2001:db8::/32 ({error}).",
            code="network",
        ) from None


def normalise_networks(texts: Iterable[str]) -> list[str]:
    """The networks in canonical form (`10.0.0.0/8`), duplicates dropped, order kept."""
    return list(dict.fromkeys(str(parse_network(text)) for text in texts if text.strip()))


def validate_networks(texts: object) -> None:
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise ValidationError("Allowed networks are a list of CIDRs.", code="network")
    for text in texts:
        parse_network(text)


def address_allowed(networks: Iterable[str], address: str) -> bool:
    """True when there are no networks, or `address` is inside one of them."""
    networks = list(networks)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # an unknown address is inside no network
    return any(ip in ipaddress.ip_network(network) for network in networks)
