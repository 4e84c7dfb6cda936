"""The write endpoints: PUT and DELETE /settings/<key>, POST .../rollback and .../verify, and
GET /settings/<key>?version=N.

Each answers JSON for every status it declares; none ever answers a value, except the older
version a GET asks for. Writes count against KEYVAULT_API_WRITE_RATE, not the read limit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.http import quote_etag
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.throttling import BaseThrottle

from settings_app.crypto import DecryptionError
from settings_app.models import Setting
from settings_app.request_context.client_address import client_ip
from settings_app.versions.errors import (
    NothingToRestore,
    VersionConflict,
    VersionDestroyed,
    VersionNotFound,
)

from ..serializers import ErrorSerializer, SettingReadSerializer
from ..views import (
    COMMON_HEADERS,
    ERRORS,
    ETAG,
    KEY_PARAMETER,
    NOT_FOUND,
    SettingDetailView,
    TokenAPIView,
)
from ..views import (
    IF_NONE_MATCH as IF_NONE_MATCH_ETAG,
)
from . import older_versions, security, services
from .preconditions import expected_version
from .serializers import (
    ConflictSerializer,
    RollbackSerializer,
    SettingWriteSerializer,
    VerifyResultSerializer,
    WriteResultSerializer,
)
from .throttling import WriteRateThrottle

WRITE_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(ErrorSerializer, "Bad body or header, refused value, or plain HTTP."),
    403: OpenApiResponse(ErrorSerializer, "Not from this address, or outside the write scope."),
    405: OpenApiResponse(ErrorSerializer, "This method is not allowed on this route."),
    415: OpenApiResponse(ErrorSerializer, "The body is not JSON."),
}
NO_SUCH_KEY = OpenApiResponse(ErrorSerializer, "No such key.")
STALE = OpenApiResponse(ConflictSerializer, "If-Match or If-None-Match did not hold.")
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": '^(\\*|"[1-9][0-9]{0,17}")$'},
    OpenApiParameter.HEADER,
    description='Check-and-set: "N" acts only on version N; * only on an existing setting.',
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    {"type": "string", "enum": ["*"]},
    OpenApiParameter.HEADER,
    description="* creates only.",
)


class Refused(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


class Gone(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "version_unavailable"


class WriteAPIView(TokenAPIView):
    """A token view whose POST, PUT and DELETE take JSON and count against the write limit."""

    parser_classes = [JSONParser]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method in ("GET", "HEAD"):
            return super().get_throttles()
        return [WriteRateThrottle()]

    def acting(self) -> Any:
        return services.acting_for(self.token, self.request._request)


class SettingView(WriteAPIView, SettingDetailView):
    http_method_names = ["get", "head", "put", "delete"]  # HEAD: get() without the body

    @extend_schema(
        operation_id="read_setting",
        parameters=[
            KEY_PARAMETER,
            OpenApiParameter(
                "version",
                {"type": "integer", "minimum": 1},
                description="An older version; needs a token whose creator may restore it.",
            ),
            IF_NONE_MATCH_ETAG,
            ETAG,
            *COMMON_HEADERS,
        ],
        responses={
            200: SettingReadSerializer,
            304: OpenApiResponse(description="If-None-Match matched: no body."),
            400: OpenApiResponse(ErrorSerializer, "version is not a version number."),
            403: OpenApiResponse(
                ErrorSerializer, "Not from this address, or may not read older versions."
            ),
            404: OpenApiResponse(ErrorSerializer, "No such key or version, or not in scope."),
            **{code: ERRORS[code] for code in (401, 405, 429, 500)},
        },
    )
    def get(self, request: Request, key: str) -> Response:
        """One setting with its value (ETag: its version), or one of its older versions."""
        if "version" not in request.query_params:
            return super().get(request, key)
        return self._older(request, key, _version_number(request.query_params["version"]))

    @extend_schema(
        operation_id="write_setting",
        request=SettingWriteSerializer,
        parameters=[KEY_PARAMETER, IF_MATCH, IF_NONE_MATCH, *COMMON_HEADERS],
        responses={
            200: WriteResultSerializer,
            201: WriteResultSerializer,
            412: STALE,
            **WRITE_ERRORS,
        },
    )
    def put(self, request: Request, key: str) -> Response:
        """Create the setting or write a new version of it; answers the version, never the value."""
        security.require_secure(request._request)
        security.require_write_scope(self.token, key)
        expected = expected_version(request._request, may_create=True)
        data = _valid(SettingWriteSerializer, request.data)
        with self.acting():
            try:
                outcome = _write(key, data, expected)
            except VersionConflict as conflict:
                return _stale(conflict)
            except ValidationError as error:
                raise Refused(" ".join(error.messages)) from None
        answer = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return _written(outcome.setting, outcome.warnings, answer)

    @extend_schema(
        operation_id="delete_setting",
        parameters=[KEY_PARAMETER, IF_MATCH, *COMMON_HEADERS],
        responses={
            204: OpenApiResponse(description="Moved to the trash."),
            404: NO_SUCH_KEY,
            412: STALE,
            **WRITE_ERRORS,
        },
    )
    def delete(self, request: Request, key: str) -> Response:
        """Move the setting and its versions to the trash (audited; restorable in the admin)."""
        security.require_write_scope(self.token, key)
        expected = expected_version(request._request, may_create=False)
        with self.acting():
            try:
                services.delete_setting(key, expected_version=expected)
            except Setting.DoesNotExist:
                raise NotFound(f"There is no setting {key!r}.") from None
            except VersionConflict as conflict:
                return _stale(conflict)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _older(self, request: Request, key: str, number: int) -> Response:
        if not self.token.allows_key(key):
            raise NotFound(NOT_FOUND)
        security.require_restore(self.token, "Reading an older version")
        try:
            setting, row = older_versions.readable_version(self.token, key, number)
        except Setting.DoesNotExist:
            raise NotFound(NOT_FOUND) from None
        except (VersionNotFound, VersionDestroyed) as error:
            raise NotFound(str(error)) from None
        if older_versions.is_unreadable(row):
            raise older_versions.undecryptable(row)
        self.settle_read([])  # counted now: over the limit, no value leaves, no audit
        django_request = request._request
        older_versions.record_version_read(
            self.token, key, number, django_request, client_ip(django_request)
        )
        return Response(older_versions.as_json(setting, row))


class RollbackView(WriteAPIView):
    http_method_names = ["post"]

    @extend_schema(
        operation_id="rollback_setting",
        request=RollbackSerializer,
        parameters=[KEY_PARAMETER, IF_MATCH, *COMMON_HEADERS],
        responses={
            200: WriteResultSerializer,
            404: OpenApiResponse(ErrorSerializer, "No such key or version."),
            409: OpenApiResponse(ErrorSerializer, "That version is destroyed or already current."),
            412: STALE,
            **WRITE_ERRORS,
        },
    )
    def post(self, request: Request, key: str) -> Response:
        """Make an earlier version current again, as a new version (the admin's restore)."""
        security.require_write_scope(self.token, key)
        security.require_restore(self.token, "Rolling back")
        expected = expected_version(request._request, may_create=False)
        number = _valid(RollbackSerializer, request.data)["version"]
        with self.acting():
            try:
                setting = services.rollback_setting(key, number, expected_version=expected)
            except Setting.DoesNotExist:
                raise NotFound(f"There is no setting {key!r}.") from None
            except VersionNotFound as error:
                raise NotFound(str(error)) from None
            except (VersionDestroyed, NothingToRestore) as error:
                raise Gone(str(error)) from None
            except VersionConflict as conflict:
                return _stale(conflict)
        return _written(setting, [], status.HTTP_200_OK)


class VerifyView(WriteAPIView):
    http_method_names = ["post"]

    @extend_schema(
        operation_id="verify_setting",
        request=None,
        parameters=[KEY_PARAMETER, *COMMON_HEADERS],
        responses={200: VerifyResultSerializer, 404: NO_SUCH_KEY, **WRITE_ERRORS},
    )
    def post(self, request: Request, key: str) -> Response:
        """Ask the provider whether the stored key works; the outcome is recorded and returned."""
        security.require_write_scope(self.token, key)
        with self.acting():
            try:
                setting, result = services.verify_setting(key)
            except Setting.DoesNotExist:
                raise NotFound(f"There is no setting {key!r}.") from None
            except DecryptionError as error:
                raise self.undecryptable(error) from None
        verified_at = setting.last_verified_at
        return Response(
            {
                "key": key,
                "status": result.status,
                "detail": result.detail,
                "verified_at": verified_at.isoformat() if verified_at else None,
            }
        )


def _write(key: str, data: dict[str, Any], expected: int | None) -> services.WriteOutcome:
    """One value, or a structured credential's fields."""
    options = {"provider": data.get("provider"), "description": data.get("description")}
    if "value" in data:
        return services.write_setting(key, data["value"], expected_version=expected, **options)
    return services.write_credential(
        key, dict(data["fields"]), expected_version=expected, **options
    )


def _valid(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    problems = "; ".join(
        f"{field}: {' '.join(str(m) for m in messages)}"
        if field != "non_field_errors"
        else " ".join(str(m) for m in messages)
        for field, messages in serializer.errors.items()
    )
    raise Refused(f"The request body is not right: {problems}")


def _version_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise Refused(f"version is a version number from 1 up, e.g. ?version=3; got {text[:20]!r}.")
    return int(text)


def _written(setting: Setting, warnings: list[str], answer: int) -> Response:
    body = {
        "key": setting.key,
        "version": setting.version,
        "provider": setting.provider,
        "updated_at": setting.updated_at.isoformat().replace("+00:00", "Z"),
        "warnings": warnings,
    }
    return Response(body, status=answer, headers={"ETag": quote_etag(str(setting.version))})


def _stale(conflict: VersionConflict) -> Response:
    """412 with the current version (never the value), and its ETag when it exists."""
    body = {"detail": str(conflict), "current_version": conflict.current}
    headers = {"ETag": quote_etag(str(conflict.current))} if conflict.current else {}
    return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers=headers)
