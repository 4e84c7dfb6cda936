"""`If-Match` and `If-None-Match` on writes, as expected versions for the versions services.

The ETag of a setting is its version, quoted: `If-Match: "3"` writes only over version 3,
`If-Match: *` only over an existing setting, `If-None-Match: *` only creates.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException

from .services import ANY_VERSION


class BadPrecondition(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_precondition"


def expected_version(request: HttpRequest, *, may_create: bool) -> int | None:
    """The version the request expects (0: must not exist), or None when unconditional."""
    if_match = request.headers.get("If-Match", "").strip()
    if_none_match = request.headers.get("If-None-Match", "").strip()
    if if_match and if_none_match:
        raise BadPrecondition("Send If-Match or If-None-Match, not both.")
    if if_none_match:
        if not may_create or if_none_match != "*":
            raise BadPrecondition(
                'Only "If-None-Match: *" (create only) is understood on this request.'
            )
        return 0
    return _version_from(if_match) if if_match else None


def _version_from(header: str) -> int:
    if header == "*":
        return ANY_VERSION
    tags = parse_etags(header)
    # Strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    if len(tags) != 1 or not tags[0].startswith('"') or not tags[0][1:-1].isdigit():
        raise BadPrecondition(
            f'If-Match takes one version as an ETag, e.g. If-Match: "3"; got {header[:40]!r}.'
        )
    number = int(tags[0][1:-1])
    if number < 1:
        raise BadPrecondition("Versions start at 1; use If-None-Match: * to create only.")
    return number
