"""The metric objects, and the only functions that change them (each label from a closed set)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

API_OUTCOMES = frozenset({"200", "304", "400", "401", "403", "404", "429", "500"})
NOTICE_OUTCOMES = frozenset({"sent", "failed"})
OTHER = "other"  # any label value outside its closed set

API_READS = Counter("keyvault_api_reads", "Read API requests, by HTTP status.", ["outcome"])
API_READ_SECONDS = Histogram(
    "keyvault_api_read_seconds", "Time to answer a read API request, in seconds."
)
ADMIN_REQUEST_SECONDS = Histogram(
    "keyvault_admin_request_seconds", "Time to answer an admin request, by view.", ["view"]
)
DECRYPTION_FAILURES = Counter(
    "keyvault_decryption_failures", "Stored values that did not decrypt, by reason.", ["reason"]
)
AUDIT_WRITE_FAILURES = Counter(
    "keyvault_audit_write_failures", "Audit events that could not be written."
)
NOTICES = Counter(
    "keyvault_notices",
    "Expiry and rotation notices, by channel and outcome.",
    ["channel", "outcome"],
)
REVEALS = Counter("keyvault_reveals", "Values revealed in the admin.")
ROWS_REENCRYPTED = Counter("keyvault_rows_reencrypted", "Rows re-encrypted under the current key.")


def record_api_read(status: int | str, seconds: float | None = None) -> None:
    """One read API answer with this HTTP status (and how long it took, when known)."""
    outcome = str(status)
    API_READS.labels(outcome if outcome in API_OUTCOMES else OTHER).inc()
    if seconds is not None:
        API_READ_SECONDS.observe(seconds)


def record_admin_request(view: str, seconds: float) -> None:
    """One admin request answered by `view` (a URL pattern's name, never its arguments)."""
    ADMIN_REQUEST_SECONDS.labels(view).observe(seconds)


def record_decryption_failure(reason: str) -> None:
    """A stored value that did not decrypt; `reason` is a DecryptionReason value."""
    DECRYPTION_FAILURES.labels(reason).inc()


def record_audit_write_failure() -> None:
    """An audit event (or a batch of them) that could not be written."""
    AUDIT_WRITE_FAILURES.inc()


def record_notice(channel: str, outcome: str) -> None:
    """A notice `sent` or `failed` through a channel ("email", "webhook")."""
    NOTICES.labels(channel, outcome if outcome in NOTICE_OUTCOMES else OTHER).inc()


def record_reveal() -> None:
    """A value shown to an admin."""
    REVEALS.inc()


def record_rows_reencrypted(rows: int) -> None:
    """Rows written again under the current key."""
    if rows > 0:
        ROWS_REENCRYPTED.inc(rows)
