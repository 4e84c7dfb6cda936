"""Re-encryption and survey of every encrypted column, straight on the raw values.

`reencrypt()` moves legacy plaintext and values under fallback keys to the current key
(`run`, planning each row in `planning`, reading and writing by raw SQL in `raw`). `survey()`
counts values by state and key id (`survey`), and `encryption_status()` says which fallback
keys can be retired and whether any value is a problem (`status`). The models and columns
concerned come from `encrypted_models()` (`discovery`).
"""

from __future__ import annotations

from .discovery import FieldSpec, ModelSpec, count_rows, encrypted_models
from .planning import BatchPlan, Change, Failure, plan_batch, plan_row
from .raw import Statement, compare_and_swap, iterate_raw
from .run import MAX_REPORTED_FAILURES, AuditEntry, ReencryptReport, reencrypt
from .status import EncryptionStatus, FallbackKey, encryption_status, fallback_keys
from .survey import Classification, FieldSurvey, classify, survey
from .swaps import Rotation, SwapWarning, last_rotation, suspected_swaps

__all__ = [
    "MAX_REPORTED_FAILURES",
    "AuditEntry",
    "BatchPlan",
    "Change",
    "Classification",
    "EncryptionStatus",
    "Failure",
    "FallbackKey",
    "FieldSpec",
    "FieldSurvey",
    "ModelSpec",
    "ReencryptReport",
    "Rotation",
    "Statement",
    "SwapWarning",
    "classify",
    "compare_and_swap",
    "count_rows",
    "encrypted_models",
    "encryption_status",
    "fallback_keys",
    "iterate_raw",
    "last_rotation",
    "plan_batch",
    "plan_row",
    "reencrypt",
    "survey",
    "suspected_swaps",
]
