"""The audit trail: every change, verification, reveal and operator command, in an HMAC chain.

The public service API is here, so callers write `from settings_app import audit` and then
`audit.record(...)`, `with audit.acting(...)`, `audit.verify_chain()`. Inside the package:
`models.py` (AuditEvent, its choices and the chain head, re-exported by `settings_app.models`),
`recording.py` (what an event holds), `actor.py` (who is acting), `chain.py` (the HMAC chain and
appending to it), `verifying.py` (walking it and naming the first break), `admin.py`
(the read-only admin page), `receivers.py` (setting saves and deletes, login lockouts) and
`middleware.py` (a web request acts as its user).
"""

from __future__ import annotations

from .actor import (
    Actor,
    acting,
    current_actor,
    record_as_current_actor,
    record_each_as_current_actor,
)
from .chain import GENESIS, canonical_payload, compute_hash
from .recording import (
    FORBIDDEN_DETAIL_KEYS,
    MAX_DETAIL_LENGTH,
    USER_AGENT_LENGTH,
    clean_details,
    client_ip,
    record,
)
from .verifying import ChainReport, verify_chain

__all__ = [
    "FORBIDDEN_DETAIL_KEYS",
    "GENESIS",
    "MAX_DETAIL_LENGTH",
    "USER_AGENT_LENGTH",
    "Actor",
    "ChainReport",
    "acting",
    "canonical_payload",
    "clean_details",
    "client_ip",
    "compute_hash",
    "current_actor",
    "record",
    "record_as_current_actor",
    "record_each_as_current_actor",
    "verify_chain",
]
