"""The read API: `GET /api/v1/settings/<key>` and `GET /api/v1/settings/?keys=a,b`.

Every response is `Cache-Control: no-store`. A single setting carries `ETag: "<version>"`, and
`If-None-Match` with that version answers 304 without the value.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ParseError, Throttled
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from settings_app import metrics
from settings_app.constants import KEY_MAX_LENGTH, KEY_PATTERN
from settings_app.crypto import DecryptionError
from settings_app.models import Setting
from settings_app.request_context.client_address import client_ip

from . import accounting, reads, services
from .models import ServiceToken
from .permissions import FromAllowedNetwork, HasServiceToken
from .serializers import ErrorSerializer, SettingListSerializer, SettingReadSerializer

# The same answer for a key that does not exist and one outside the scope: no oracle.
NOT_FOUND = "No setting with this key is readable with this token."


def _header(name: str, description: str, statuses: list[int]) -> OpenApiParameter:
    """A response header, declared on the answers that carry it."""
    return OpenApiParameter(
        name, str, OpenApiParameter.HEADER, description=description, response=statuses
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description)


ERRORS = {
    401: _error("Missing, malformed, unknown, expired or revoked token."),
    403: _error("The token may not be used from this address."),
    405: _error("Only GET and HEAD are allowed."),
    429: _error("Rate limit reached; see Retry-After."),
    500: _error("The server failed, or a stored value cannot be decrypted."),
}
COMMON_HEADERS = [
    _header("Cache-Control", "Always no-store: values must never sit in a cache.", [200, 304]),
    _header("WWW-Authenticate", "Bearer: how to authenticate.", [401]),
    _header("Retry-After", "Seconds to wait before the next request.", [429]),
]
KEY_PARAMETER = OpenApiParameter(
    "key",
    {
        "type": "string",
        "pattern": f"^{KEY_PATTERN.pattern}$",
        "minLength": 1,
        "maxLength": KEY_MAX_LENGTH,
    },
    OpenApiParameter.PATH,
    required=True,
    description="The setting's key: ASCII letters, digits, '_', '-' and '.'.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag of the version held, e.g. "3": 304 without the value if unchanged.',
)
ETAG = _header("ETag", 'The setting\'s version, quoted, e.g. "3".', [200, 304])


class Undecryptable(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "A stored value cannot be decrypted with the configured keys."
    default_code = "undecryptable"


class JSONOnly(BaseContentNegotiation):
    """The API speaks JSON whatever the client accepts: no negotiation to spend time on."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser:
        return next(iter(parsers))

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class TokenAPIView(APIView):
    """A GET (and HEAD) view for service tokens, from allowed networks, within the rate limit.

    A read is counted against the rate limit when it is settled (`accounting.py`): with the
    audit of the values it sends, or, if it sends none, when its answer is finalised."""

    permission_classes = [HasServiceToken, FromAllowedNetwork]
    throttle_classes: list[type] = []  # reads: accounting.py; writes name their throttle
    unsettled_read = False
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    http_method_names = ["get", "head"]  # Django's View answers HEAD with get()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        started = time.perf_counter()
        response = super().dispatch(request, *args, **kwargs)
        metrics.record_api_read(response.status_code, time.perf_counter() - started)
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticated and permitted from here on
        if request.method in ("GET", "HEAD"):
            self.unsettled_read = True
        else:
            services.mark_used(self.token, client_ip(request._request))

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if self.unsettled_read:  # answered without a value (404, 304, ...): count it now
            try:
                self.settle_read([])
            except Throttled as throttled:
                response = self.handle_exception(throttled)
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # values must never sit in a cache
        return response

    @property
    def token(self) -> ServiceToken:
        token = self.request.auth
        assert isinstance(token, ServiceToken)  # HasServiceToken ran first
        return token

    def record_reads(self, settings: list[Setting]) -> None:
        """Count the read and audit each value before it leaves: no trail, no value."""
        self.settle_read(settings)

    def settle_read(self, settings: list[Setting]) -> None:
        """The read's count and audit, committed once; Throttled (429) over the rate limit."""
        self.unsettled_read = False
        django_request = self.request._request
        wait = accounting.settle_read(
            self.token, django_request, settings, client_ip(django_request)
        )
        if wait is not None:
            raise Throttled(wait)

    def undecryptable(self, error: DecryptionError) -> Undecryptable:
        """The answer for a value the keys cannot open (reads.py has audited it once): the
        reason, never the ciphertext."""
        detail = {"detail": Undecryptable.default_detail, "reason": error.reason.value}
        return Undecryptable(detail, code=reads.UNDECRYPTABLE)


class SettingDetailView(TokenAPIView):
    @extend_schema(
        operation_id="read_setting",
        parameters=[KEY_PARAMETER, IF_NONE_MATCH, ETAG, *COMMON_HEADERS],
        responses={
            200: SettingReadSerializer,
            304: OpenApiResponse(description="If-None-Match matched: no body."),
            404: _error("No such key, or not in the token's scope."),
            **ERRORS,
        },
    )
    def get(self, request: Request, key: str) -> Response:
        """One setting, with its value; ETag is its version."""
        try:
            setting = reads.readable_setting(self.token, key)
        except DecryptionError as error:
            raise self.undecryptable(error) from None
        if setting is None:
            raise NotFound(NOT_FOUND)
        etag = quote_etag(str(setting.version))
        if _etag_matches(request._request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        self.record_reads([setting])
        return Response(reads.as_json(setting), headers={"ETag": etag})


class SettingListView(TokenAPIView):
    @extend_schema(
        operation_id="read_settings",
        parameters=[
            OpenApiParameter(
                "keys",
                str,
                description=f"Comma-separated keys (at most {reads.MAX_KEYS}); default: every "
                "setting in the token's scope. Keys outside the scope are left out; the "
                "parameter may be repeated.",
            ),
            OpenApiParameter(
                "values",
                bool,
                description="false: names, versions, providers and times only; no value is "
                "read (`keyvault list`).",
            ),
            *COMMON_HEADERS,
        ],
        responses={
            200: SettingListSerializer,
            400: _error(f"More than {reads.MAX_KEYS} keys."),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        """The settings in the token's scope, or the in-scope subset of `keys`. A value that
        cannot be decrypted is listed as `{"key", "error": "undecryptable", "reason"}`."""
        if _without_values(request.query_params.get("values")):
            return Response({"settings": reads.summaries(self.token)})
        keys = _requested_keys(request.query_params.getlist("keys"))
        settings = reads.readable_settings(self.token, keys)
        self.record_reads([setting for setting in settings if reads.is_readable(setting)])
        return Response({"settings": [_entry(setting) for setting in settings]})


def _entry(setting: Setting) -> dict[str, Any]:
    """A readable setting, or why it is not: a damaged row never hides the others."""
    return reads.as_json(setting) if reads.is_readable(setting) else reads.unreadable_json(setting)


def _without_values(raw: str | None) -> bool:
    if raw is None or raw.lower() == "true":
        return False
    if raw.lower() == "false":
        return True
    raise ParseError(f"values is true or false; got {raw[:20]!r}.")


def _requested_keys(values: list[str]) -> list[str] | None:
    """The keys asked for, from every `keys` parameter (repeated ones are merged); None: all."""
    if not values:
        return None
    asked = (key.strip() for value in values for key in value.split(","))
    keys = list(dict.fromkeys(key for key in asked if key))
    if len(keys) > reads.MAX_KEYS:
        raise ParseError(f"Ask for at most {reads.MAX_KEYS} keys per request; {len(keys)} given.")
    return keys


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"3" matches "3".
    wanted = {
        tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))
    }
    return "*" in wanted or etag in wanted
