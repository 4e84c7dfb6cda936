"""Stand-ins for Azure OpenAI, Entra ID, AWS Bedrock and Google (token endpoint, Vertex AI) on
127.0.0.1, checking every request as the real services do.

They check the `api-key` header, the Entra client secret, the SigV4 signature (recomputed with
botocore from the secret they know, over the method, path, query, signed headers and body they
received), the JWT assertion's RS256 signature (verified with cryptography) and claims, and that
a Vertex call carries a token this token endpoint issued. Besides the calls keyvault makes to
verify a credential, they answer model calls as the gateway relays them: Azure chat
completions, Bedrock InvokeModel and Converse (streamed as AWS event-stream frames), Vertex
generateContent and Anthropic-on-Vertex rawPredict (streamed as server-sent events), each with
the fixed usage below. `point(settings)` sets the `KEYVAULT_*_BASE_URL` settings, the only
way to reach them.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import re
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .standin_server import Reply, Seen, serving

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
ENTRA_TOKEN = "entra-stand-in-access-token"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
EVENT_STREAM = "application/vnd.amazon.eventstream"

AZURE_USAGE = (21, 8)  # prompt, completion
BEDROCK_CLAUDE_USAGE = (31, 4, 2, 12)  # input, cache read, cache creation, final output
CONVERSE_USAGE = (41, 3, 6)  # input, cache read, output
GEMINI_USAGE = (51, 9, 2)  # prompt, candidates, thoughts
VERTEX_CLAUDE_USAGE = (61, 0, 0, 10)
MODEL = "stand-in-model-1"
LLAMA_USAGE = (11, 7)  # what Bedrock's headers report for a whole Llama InvokeModel answer


@dataclass
class Standins:
    url: str = ""
    azure_keys: dict[str, int] = field(default_factory=dict)  # api key -> status
    entra_apps: dict[str, str] = field(default_factory=dict)  # client id -> secret
    aws_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (secret, kind)
    bedrock_api_keys: dict[str, str] = field(default_factory=dict)  # api key -> kind
    google_accounts: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)  # access token -> account e-mail
    token_lifetime: int = 3599
    vertex_status: int = 200
    chunks: int = 5  # events in a streamed answer
    pause: float = 0.0  # seconds between them
    requests: list[Seen] = field(default_factory=list)
    _serial: Iterator[int] = field(default_factory=itertools.count)

    def point(self, settings: Any) -> None:
        settings.KEYVAULT_AZURE_OPENAI_BASE_URL = f"{self.url}/azure"
        settings.KEYVAULT_AZURE_LOGIN_BASE_URL = f"{self.url}/login"
        settings.KEYVAULT_BEDROCK_BASE_URL = f"{self.url}/bedrock"
        settings.KEYVAULT_BEDROCK_RUNTIME_BASE_URL = f"{self.url}/runtime"
        settings.KEYVAULT_VERTEX_AI_BASE_URL = f"{self.url}/vertex"
        settings.KEYVAULT_VERTEX_AI_TOKEN_URL = f"{self.url}/google/token"

    def handle(self, seen: Seen) -> Reply:
        self.requests.append(seen)
        handler = getattr(self, f"_{seen.path.split('/')[1]}", None)
        if handler is None:
            return Reply.json({"error": "no such route"}, 404)
        reply: Reply = handler(seen)
        return reply

    @property
    def token_requests(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.path.startswith("/google/")]

    # --- Azure and Entra ID --------------------------------------------------------------------
    def _azure(self, seen: Seen) -> Reply:
        parts = urlsplit(seen.path)
        if "api-version" not in parse_qs(parts.query):
            return Reply.json({"error": "bad request"}, 400)
        if seen.headers.get("authorization") == f"Bearer {ENTRA_TOKEN}":
            status = 200
        else:
            status = self.azure_keys.get(seen.headers.get("api-key", ""), 401)
        if status != 200:
            return Reply.json({"error": {"code": str(status), "message": "Access denied"}}, status)
        if parts.path == "/azure/openai/models":
            return Reply.json({"data": []})
        if re.fullmatch(r"/azure/openai/deployments/[\w.-]+/chat/completions", parts.path):
            return self._chat(seen.json())
        return Reply.json({"error": {"code": "404"}}, 404)

    def _chat(self, request: dict[str, Any]) -> Reply:
        i, o = AZURE_USAGE
        usage = {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}
        base = {"id": "chatcmpl-1", "created": 1, "model": MODEL}
        if not request.get("stream"):
            message = {"role": "assistant", "content": "hi"}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return Reply.json(
                {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
        chunk = {**base, "object": "chat.completion.chunk"}
        events = [
            sse({**chunk, "choices": [{"index": 0, "delta": {"content": f"c{n} "}}]})
            for n in range(self.chunks)
        ]
        if (request.get("stream_options") or {}).get("include_usage"):
            events.append(sse({**chunk, "choices": [], "usage": usage}))
        return self._stream([*events, b"data: [DONE]\n\n"], "text/event-stream")

    def _login(self, seen: Seen) -> Reply:
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        good = self.entra_apps.get(form.get("client_id", ""))
        if form.get("grant_type") != "client_credentials" or not seen.path.endswith("/token"):
            return Reply.json({"error": "invalid_request"}, 400)
        if good is None or not hmac.compare_digest(good, form.get("client_secret", "")):
            return Reply.json({"error": "invalid_client"}, 401)
        token = {"access_token": ENTRA_TOKEN, "token_type": "Bearer", "expires_in": 3599}
        return Reply.json(token)

    # --- Bedrock -------------------------------------------------------------------------------
    def _bedrock(self, seen: Seen) -> Reply:
        if seen.method != "GET" or seen.path != "/bedrock/foundation-models":
            return Reply.json({"message": "bad request"}, 400)
        kind = self._aws_kind(seen)
        return Reply.json({"modelSummaries": []}) if kind == "valid" else _aws_error(kind)

    def _runtime(self, seen: Seen) -> Reply:
        """bedrock-runtime: POST /model/<id>/<operation>."""
        kind = self._aws_kind(seen)
        if kind != "valid":
            return _aws_error(kind)
        match = re.fullmatch(r"/runtime/model/([^/]+)/([\w-]+)", urlsplit(seen.path).path)
        if seen.method != "POST" or match is None:
            return Reply.json({"message": "unknown operation"}, 404)
        operation = match.group(2)
        if operation == "invoke" and unquote(match.group(1)).startswith("meta."):
            return llama_invoke_reply()
        if operation == "invoke":
            return Reply.json(anthropic_message(BEDROCK_CLAUDE_USAGE))
        if operation == "converse":
            return Reply.json({"output": {"message": converse_message()}, **converse_end()})
        if operation == "invoke-with-response-stream":
            events = anthropic_events(BEDROCK_CLAUDE_USAGE, self.chunks, metrics=True)
            frames = [event_frame("chunk", {"bytes": base64.b64encode(e).decode()}) for e in events]
            return self._stream(frames, EVENT_STREAM)
        if operation == "converse-stream":
            return self._stream(converse_frames(self.chunks), EVENT_STREAM)
        return Reply.json({"message": "unknown operation"}, 404)

    def _aws_kind(self, seen: Seen) -> str:
        authorization = seen.headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return self.bedrock_api_keys.get(authorization.removeprefix("Bearer "), "unknown")
        return self._sigv4_kind(seen, authorization)

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
        return (
            kind
            if _signature_holds(seen, key_id, secret, region, signed, signature)
            else ("bad_signature")
        )

    # --- Google --------------------------------------------------------------------------------
    def _google(self, seen: Seen) -> Reply:
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Reply.json({"error": "unsupported_grant_type"}, 400)
        account = self._assertion_account(form.get("assertion", ""))
        if account is None:
            return Reply.json({"error": "invalid_grant", "error_description": "Invalid JWT"}, 400)
        token = f"ya29.stand-in-{next(self._serial)}"
        self.issued[token] = account
        return Reply.json({"access_token": token, "expires_in": self.token_lifetime})

    def _assertion_account(self, assertion: str) -> str | None:
        """The account whose key signed `assertion`, if it holds; audience: Google's token URI,
        or this stand-in's (google-auth signs for the token URI it is given)."""
        try:
            header, claims, signature = (_b64(part) for part in assertion.split("."))
            found = json.loads(claims)
            key = self.google_accounts[found["iss"]]
            signed = assertion.rsplit(".", 1)[0].encode()
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return None
        holds = (
            json.loads(header)["alg"] == "RS256"
            and found["aud"] in (GOOGLE_TOKEN_URI, f"{self.url}/google/token")
            and found["scope"] == SCOPE
            and found["iat"] <= time.time() + 60 < found["exp"] + 60
        )
        return str(found["iss"]) if holds else None

    def _vertex(self, seen: Seen) -> Reply:
        authorization = seen.headers.get("authorization", "")
        if authorization.removeprefix("Bearer ") not in self.issued:
            return Reply.json({"error": {"status": "UNAUTHENTICATED"}}, 401)
        parts = urlsplit(seen.path)
        if re.fullmatch(r"/vertex/v1/projects/[\w-]+/locations/[\w-]+/endpoints", parts.path):
            return Reply.json({"endpoints": []}, self.vertex_status)
        match = re.fullmatch(
            r"/vertex/v1/projects/[\w-]+/locations/[\w-]+/publishers/(google|anthropic)/"
            r"models/[\w.@-]+:(\w+)",
            parts.path,
        )
        if seen.method != "POST" or match is None:
            return Reply.json({"error": {"status": "INVALID_ARGUMENT"}}, 400)
        return self._vertex_model(*match.groups())

    def _vertex_model(self, publisher: str, method: str) -> Reply:
        if (publisher, method) == ("google", "generateContent"):
            return Reply.json(gemini_answer(done=True))
        if (publisher, method) == ("google", "streamGenerateContent"):
            events = [sse(gemini_answer(n == self.chunks - 1)) for n in range(self.chunks)]
            return self._stream(events, "text/event-stream")
        if (publisher, method) == ("anthropic", "rawPredict"):
            return Reply.json(anthropic_message(VERTEX_CLAUDE_USAGE))
        if (publisher, method) == ("anthropic", "streamRawPredict"):
            events = anthropic_events(VERTEX_CLAUDE_USAGE, self.chunks, metrics=False)
            chunks = [sse(event, event["type"]) for event in map(json.loads, events)]
            return self._stream(chunks, "text/event-stream")
        return Reply.json({"error": {"status": "NOT_FOUND"}}, 404)

    def _stream(self, chunks: list[bytes], content_type: str) -> Reply:
        return Reply(200, chunks, content_type=content_type, pause=self.pause)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[Standins]:
        server = cls()
        with serving(server.handle) as url:
            server.url = url
            yield server


def _signature_holds(
    seen: Seen, key_id: str, secret: str, region: str, signed: str, signature: str
) -> bool:
    """Recompute the signature with botocore from what arrived, and compare."""
    request = AWSRequest(
        method=seen.method,
        url=f"http://{seen.headers['host']}{seen.path}",
        headers={name: seen.headers[name] for name in signed.split(";") if name != "host"},
        data=seen.body,
    )
    request.context["timestamp"] = seen.headers["x-amz-date"]
    signer = SigV4Auth(
        Credentials(key_id, secret, seen.headers.get("x-amz-security-token")), "bedrock", region
    )
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    return hmac.compare_digest(expected, signature)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


AWS_ERRORS = {
    "denied": "AccessDeniedException",
    "expired": "ExpiredTokenException",
    "unknown": "UnrecognizedClientException",
    "bad_signature": "InvalidSignatureException",
}


def _aws_error(kind: str) -> Reply:
    name = AWS_ERRORS[kind]
    header = ("x-amzn-ErrorType", f"{name}:http://internal.amazon.com/coral/")
    return Reply.json({"message": name}, 403, headers=(header,))


# --- answer shapes -----------------------------------------------------------------------------
def sse(payload: Any, event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(payload)}\n\n".encode()


def anthropic_message(usage: tuple[int, int, int, int]) -> dict[str, Any]:
    i, cr, cc, o = usage
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL,
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": i, "cache_read_input_tokens": cr,
                  "cache_creation_input_tokens": cc, "output_tokens": o},
    }  # fmt: skip


def anthropic_events(
    usage: tuple[int, int, int, int], chunks: int, *, metrics: bool
) -> list[bytes]:
    """Anthropic's streamed events as JSON (Bedrock adds its invocation metrics to the last)."""
    i, cr, cc, o = usage
    start = {**anthropic_message(usage), "content": [], "stop_reason": None}
    start["usage"] = {**start["usage"], "output_tokens": 1}
    block = {"type": "text", "text": ""}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": block},
    ]
    events += [
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": f"c{n}"},
        }
        for n in range(chunks)
    ]
    events.append({"type": "content_block_stop", "index": 0})
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": running},
        }
        for running in (o // 2, o)  # running totals: the last one is the output
    ]
    stop: dict[str, Any] = {"type": "message_stop"}
    if metrics:
        stop["amazon-bedrock-invocationMetrics"] = {
            "inputTokenCount": i + cr + cc, "outputTokenCount": o, "invocationLatency": 5,
        }  # fmt: skip
    return [json.dumps(event).encode() for event in [*events, stop]]


def converse_message() -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": "hi"}]}


def converse_end() -> dict[str, Any]:
    i, cr, o = CONVERSE_USAGE
    usage = {"inputTokens": i, "cacheReadInputTokens": cr, "outputTokens": o,
             "totalTokens": i + cr + o}  # fmt: skip
    return {"stopReason": "end_turn", "usage": usage, "metrics": {"latencyMs": 5}}


def converse_frames(chunks: int) -> list[bytes]:
    end = converse_end()
    frames = [event_frame("messageStart", {"role": "assistant"})]
    frames += [
        event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": f"c{n}"}})
        for n in range(chunks)
    ]
    frames.append(event_frame("messageStop", {"stopReason": end["stopReason"]}))
    return [*frames, event_frame("metadata", {"usage": end["usage"], "metrics": end["metrics"]})]


def event_frame(event_type: str, payload: Any, message_type: str = "event") -> bytes:
    """One AWS event-stream message, as Bedrock frames it (the gateway parses it with botocore,
    which checks both CRCs, so a mistake here fails the tests)."""
    headers = {
        ":message-type": message_type,
        ":event-type": event_type,
        ":content-type": "application/json",
    }
    encoded = b"".join(
        bytes([len(name)])
        + name.encode()
        + b"\x07"
        + struct.pack(">H", len(value))
        + value.encode()
        for name, value in headers.items()
    )
    body = json.dumps(payload).encode()
    prelude = struct.pack(">II", 12 + len(encoded) + len(body) + 4, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + body
    return message + struct.pack(">I", zlib.crc32(message))


def gemini_answer(done: bool) -> dict[str, Any]:
    p, c, t = GEMINI_USAGE
    return {
        "candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}}],
        "usageMetadata": {"promptTokenCount": p, "candidatesTokenCount": c if done else 1,
                          "thoughtsTokenCount": t if done else 0},
        "modelVersion": MODEL,
    }  # fmt: skip


def llama_invoke_reply() -> Reply:
    """A Llama answer to InvokeModel: the body in Meta's shape, Bedrock's counts in its headers."""
    body = {"generation": "hi", "prompt_token_count": None, "stop_reason": "stop"}
    counts = (
        ("X-Amzn-Bedrock-Input-Token-Count", str(LLAMA_USAGE[0])),
        ("X-Amzn-Bedrock-Output-Token-Count", str(LLAMA_USAGE[1])),
    )
    return Reply.json(body, headers=counts)
