"""Prometheus metrics: the counters and histograms other packages feed through small functions.

Call `metrics.record_api_read("200")`, never a metric object: the labels stay a closed set here.
No label ever carries a key name, a token name, a user or an address, so cardinality stays
bounded and nothing identifying reaches monitoring. Under gunicorn each worker writes its own
files in PROMETHEUS_MULTIPROC_DIR and `/metrics` adds them up (`exposition.py`).
"""

from __future__ import annotations

from .gateway import (
    record_gateway_added,
    record_gateway_recording_failure,
    record_gateway_refusal,
    record_gateway_request,
    record_gateway_upstream,
    record_gateway_usage,
)
from .recording import (
    record_admin_request,
    record_api_read,
    record_audit_write_failure,
    record_decryption_failure,
    record_notice,
    record_reveal,
    record_rows_reencrypted,
)

__all__ = [
    "record_admin_request",
    "record_api_read",
    "record_audit_write_failure",
    "record_decryption_failure",
    "record_gateway_added",
    "record_gateway_recording_failure",
    "record_gateway_refusal",
    "record_gateway_request",
    "record_gateway_upstream",
    "record_gateway_usage",
    "record_notice",
    "record_reveal",
    "record_rows_reencrypted",
]
