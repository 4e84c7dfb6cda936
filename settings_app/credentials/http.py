"""One HTTP exchange for credential checks: bounded body, no redirects, fixed failure sentences."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from settings_app.constants import VerificationStatus as Status
from settings_app.providers.classification import VerificationResult
from settings_app.providers.client import MAX_BODY_BYTES, get_client


@dataclass(frozen=True)
class Answer:
    """A status code, lower-cased headers and at most MAX_BODY_BYTES of body."""

    status: int
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    def json(self) -> dict[str, Any]:
        try:
            found = json.loads(self.body)
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}


class Unreachable(Exception):
    """The request could not be made or answered; its message is a fixed sentence."""

    def result(self) -> VerificationResult:
        return VerificationResult(Status.UNREACHABLE, str(self))


def exchange(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    data: dict[str, str] | None = None,
    client: httpx.Client | None = None,
) -> Answer:
    """Send one request (redirects never followed: they could carry a secret elsewhere)."""
    host = httpx.URL(url).host
    try:
        with (client or get_client()).stream(
            method, url, headers=headers, data=data, follow_redirects=False
        ) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_BODY_BYTES:
                    break
    except httpx.TimeoutException:
        raise Unreachable(f"No answer from {host} in time; try again later.") from None
    except httpx.HTTPError as error:
        # httpx messages may quote URLs or headers: only fixed sentences leave this module.
        name = type(error).__name__
        raise Unreachable(f"The request to {host} failed ({name}); try again later.") from None
    found = {k.lower(): v for k, v in response.headers.items()}
    return Answer(response.status_code, found, body[:MAX_BODY_BYTES])


def generic(answer: Answer, *, what: str) -> VerificationResult:
    """2xx valid, 401 invalid, 403 restricted, anything else unreachable."""
    code = answer.status
    if 200 <= code < 300:
        return VerificationResult(Status.VALID, f"HTTP {code}: the provider accepted the {what}.")
    if code == 401:
        return VerificationResult(Status.INVALID, f"HTTP {code}: the {what} is not valid.")
    if code == 403:
        return VerificationResult(
            Status.RESTRICTED, f"HTTP {code}: the {what} is valid but lacks permission."
        )
    if 300 <= code < 400:
        return VerificationResult(
            Status.UNREACHABLE, f"HTTP {code}: a redirect, which is not followed."
        )
    return VerificationResult(
        Status.UNREACHABLE, f"HTTP {code}: unexpected answer; try again later."
    )
