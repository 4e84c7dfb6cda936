"""Which address a request came from, trusting exactly as many proxies as the deployment has.

`X-Forwarded-For` is a list anyone can start: each proxy appends the address it received the
request from (nginx's `$proxy_add_x_forwarded_for`). Only the entries added by our own proxies
are trustworthy, so with `KEYVAULT_TRUSTED_PROXY_COUNT = N` the client is the N-th entry from
the right; everything to its left may be forged. With N = 0 (no proxy) the header is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address, normalised ("" when it is not a valid address)."""
    meta = request.META
    return address_from(str(meta.get("REMOTE_ADDR", "")), str(meta.get("HTTP_X_FORWARDED_FOR", "")))


def address_from(remote_addr: str, forwarded_for: str) -> str:
    """`client_ip` from the socket's address and the X-Forwarded-For header's value ("": none)."""
    trusted = int(getattr(settings, "KEYVAULT_TRUSTED_PROXY_COUNT", 0))
    raw = remote_addr
    if trusted > 0:
        forwarded = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        # Fewer entries than proxies: the request did not pass through all of them (a direct
        # connection, or a misconfigured proxy), so the socket address is the best we know.
        if len(forwarded) >= trusted:
            raw = forwarded[-trusted]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return ""
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; IPv4 rules must still match.
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)
