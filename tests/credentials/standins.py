"""Stand-ins for Azure OpenAI, Entra ID, AWS Bedrock and Google on 127.0.0.1, checking requests.

Each checks what the real service checks: the `api-key` header, the Entra client secret, the
SigV4 signature (recomputed with botocore from the secret it knows), the JWT assertion's RS256
signature (verified with cryptography against the test key's public half) and its claims.
`point(settings)` sets the `KEYVAULT_*_BASE_URL` settings, the only way to reach them.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
ACCESS_TOKEN = "ya29.stand-in-access-token"
ENTRA_TOKEN = "entra-stand-in-access-token"
VERTEX_LIST = r"/vertex/v1/projects/[\w-]+/locations/[\w-]+/endpoints\?pageSize=1"


@dataclass(frozen=True)
class Seen:
    """A request as received: method, path with query, lower-cased headers, body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Standins:
    url: str = ""
    azure_keys: dict[str, int] = field(default_factory=dict)  # api key -> status
    entra_apps: dict[str, str] = field(default_factory=dict)  # client id -> secret
    aws_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (secret, kind)
    bedrock_api_keys: dict[str, str] = field(default_factory=dict)  # api key -> kind
    google_accounts: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    vertex_status: int = 200
    requests: list[Seen] = field(default_factory=list)

    def point(self, settings: Any) -> None:
        settings.KEYVAULT_AZURE_OPENAI_BASE_URL = f"{self.url}/azure"
        settings.KEYVAULT_AZURE_LOGIN_BASE_URL = f"{self.url}/login"
        settings.KEYVAULT_BEDROCK_BASE_URL = f"{self.url}/bedrock"
        settings.KEYVAULT_VERTEX_AI_BASE_URL = f"{self.url}/vertex"
        settings.KEYVAULT_VERTEX_AI_TOKEN_URL = f"{self.url}/google/token"

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]]:
        self.requests.append(seen)
        route = seen.path.split("/")[1]
        handler = getattr(self, f"_{route}", None)
        if handler is None:
            return 404, {}, {"error": "no such route"}
        result: tuple[int, dict[str, str], dict[str, Any]] = handler(seen)
        return result

    # --- Azure and Entra ID --------------------------------------------------------------------
    def _azure(self, seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]]:
        parts = urlsplit(seen.path)
        if parts.path != "/azure/openai/models" or "api-version" not in parse_qs(parts.query):
            return 400, {}, {"error": "bad request"}
        if seen.headers.get("authorization") == f"Bearer {ENTRA_TOKEN}":
            return 200, {}, {"data": []}
        status = self.azure_keys.get(seen.headers.get("api-key", ""), 401)
        return status, {}, {"error": {"code": status}}

    def _login(self, seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]]:
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        good = self.entra_apps.get(form.get("client_id", ""))
        if form.get("grant_type") != "client_credentials" or not seen.path.endswith("/token"):
            return 400, {}, {"error": "invalid_request"}
        if good is None or not hmac.compare_digest(good, form.get("client_secret", "")):
            return 401, {}, {"error": "invalid_client"}
        return 200, {}, {"access_token": ENTRA_TOKEN, "token_type": "Bearer"}

    # --- Bedrock -------------------------------------------------------------------------------
    def _bedrock(self, seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]]:
        if seen.method != "GET" or seen.path != "/bedrock/foundation-models":
            return 400, {}, {"message": "bad request"}
        authorization = seen.headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            kind = self.bedrock_api_keys.get(authorization.removeprefix("Bearer "), "unknown")
        else:
            kind = self._sigv4_kind(seen, authorization)
        return _BEDROCK_ANSWERS[kind]

    def _sigv4_kind(self, seen: Seen, authorization: str) -> str:
        match = re.fullmatch(
            r"AWS4-HMAC-SHA256 Credential=(\w+)/(\d{8})/([\w-]+)/bedrock/aws4_request, "
            r"SignedHeaders=([\w;-]+), Signature=([0-9a-f]{64})",
            authorization,
        )
        if match is None:
            return "unknown"
        key_id, _, region, signed, signature = match.groups()
        if key_id not in self.aws_keys:
            return "unknown"
        secret, kind = self.aws_keys[key_id]
        token = seen.headers.get("x-amz-security-token")
        request = AWSRequest(
            method=seen.method,
            url=f"http://{seen.headers['host']}{seen.path}",
            headers={name: seen.headers[name] for name in signed.split(";") if name != "host"},
        )
        request.context["timestamp"] = seen.headers["x-amz-date"]
        signer = SigV4Auth(Credentials(key_id, secret, token), "bedrock", region)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        return kind if hmac.compare_digest(expected, signature) else "bad_signature"

    # --- Google --------------------------------------------------------------------------------
    def _google(self, seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]]:
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {}, {"error": "unsupported_grant_type"}
        if not self._assertion_holds(form.get("assertion", "")):
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT"}
        return 200, {}, {"access_token": ACCESS_TOKEN, "expires_in": 3599}

    def _assertion_holds(self, assertion: str) -> bool:
        try:
            header, claims, signature = (_b64(part) for part in assertion.split("."))
            found = json.loads(claims)
            key = self.google_accounts[found["iss"]]
            signed = assertion.rsplit(".", 1)[0].encode()
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return False
        return (
            json.loads(header)["alg"] == "RS256"
            and found["aud"] == GOOGLE_TOKEN_URI
            and found["scope"] == "https://www.googleapis.com/auth/cloud-platform"
            and found["iat"] <= time.time() + 60 < found["exp"] + 60
        )

    def _vertex(self, seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]]:
        if seen.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, {}, {"error": {"status": "UNAUTHENTICATED"}}
        if not re.fullmatch(
            r"/vertex/v1/projects/[\w-]+/locations/[\w-]+/endpoints\?pageSize=1", seen.path
        ):
            return 400, {}, {"error": {"status": "INVALID_ARGUMENT"}}
        return self.vertex_status, {}, {"endpoints": []}

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[Standins]:
        server = cls()
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(server))
        host, port = httpd.server_address[:2]
        server.url = f"http://{host!s}:{port}"
        thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield server
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join()


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _aws_error(kind: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    return 403, {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/"}, {"message": kind}


_BEDROCK_ANSWERS: dict[str, tuple[int, dict[str, str], dict[str, Any]]] = {
    "valid": (200, {}, {"modelSummaries": []}),
    "denied": _aws_error("AccessDeniedException"),
    "expired": _aws_error("ExpiredTokenException"),
    "unknown": _aws_error("UnrecognizedClientException"),
    "bad_signature": _aws_error("InvalidSignatureException"),
}


def _handler_for(server: Standins) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: no socket outlives a test

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer = server.answer(Seen(self.command, self.path, headers, body))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
