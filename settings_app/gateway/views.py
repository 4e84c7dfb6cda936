"""`GET /api/v1/usage`: a token's own gateway usage, per day, setting key and model."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from settings_app.api.serializers import ErrorSerializer
from settings_app.api.views import ERRORS, TokenAPIView

from . import report

MAX_DAYS = 366


class UsageRowSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The UTC day.")
    token = serializers.CharField(help_text="The token's name (always the caller's).")
    setting_key = serializers.CharField(help_text="The setting whose provider was called.")
    model = serializers.CharField(help_text="The response's model, else the request's.")
    requests = serializers.IntegerField()
    input_tokens = serializers.IntegerField(help_text="As the provider reported them.")
    output_tokens = serializers.IntegerField(help_text="As the provider reported them.")
    unmetered = serializers.IntegerField(help_text="Responses that reported no usage.")


class UsageSerializer(serializers.Serializer):
    usage = UsageRowSerializer(many=True)


class UsageView(TokenAPIView):
    @extend_schema(
        operation_id="read_usage",
        parameters=[
            OpenApiParameter(
                "days", int, description=f"Days back, today included (1..{MAX_DAYS}; default 30)."
            )
        ],
        responses={200: UsageSerializer, 400: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        """The calling token's own gateway usage, newest day first."""
        days = _days(request.query_params.get("days"))
        rows = report.usage_rows(days).filter(token=self.token)
        return Response({"usage": [report.as_json(row) for row in rows]})


def _days(raw: str | None) -> int:
    """Days back, clamped to 1..MAX_DAYS; ParseError (400) for what is not a whole number."""
    if raw is None:
        return report.DEFAULT_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ParseError(f"days: give a whole number of days from 1 to {MAX_DAYS}.") from None
    return max(1, min(MAX_DAYS, days))
