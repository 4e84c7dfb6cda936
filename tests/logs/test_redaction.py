"""redact(): envelopes, prefixed provider keys and named secrets are masked with one marker."""

from __future__ import annotations

import pytest

from settings_app.logs.redaction import REDACTED, redact

OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t" * 2
ENVELOPE = "$kv1$r$3f9a0c1d$q2VxbWVzc2FnZS1ub25jZS1hbmQtdGFn+/AB=="
MISTRAL = "Xq7Lm2Pz9Rt4Vw8Yb3Nc6Hd1Jf5Kg0Sa"  # no prefix: only naming it can hide it


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (OPENAI, "sk-proj-"),
        ("sk-" + "a1B2c3D4" * 6, "sk-"),
        ("sk-svcacct-" + "Z9y8X7w6" * 5, "sk-svcacct-"),
        ("sk-admin-" + "Q1w2E3r4" * 5, "sk-admin-"),
        ("sk-ant-api03-" + "Mn_Op-Qr" * 10, "sk-ant-api"),
        ("sk-ant-admin01-" + "Mn_Op-Qr" * 10, "sk-ant-admin"),
        ("AIzaSy" + "B7c9D1e3F5g7H9j1K3m5N7p9Q1r", "AIza"),
        ("gsk_" + "Wq4Er6Ty8Ui0" * 4, "gsk_"),
        ("xai-" + "Lk7Jh5Gf3Ds1" * 6, "xai-"),
        ("sk-or-v1-" + "0123456789abcdef" * 4, "sk-or-"),
        (ENVELOPE, "$kv"),
        ("$kv2$d$deadbeef$AAAA", "$kv"),
    ],
)
def test_redact_masks_each_kind_of_secret(secret: str, shown: str) -> None:
    assert redact(f"before {secret}, after") == f"before {shown}{REDACTED}, after"


@pytest.mark.parametrize(
    "harmless",
    ["sk-learn is a library", "task-manager", "risk-assessment-2026", "$k1 cost", "xai-grok"],
)
def test_redact_leaves_ordinary_text_alone(harmless: str) -> None:
    assert redact(harmless) == harmless


def test_a_named_secret_is_cut_out_whole_even_without_a_prefix() -> None:
    echoed = f"401: key {MISTRAL} is not valid; key {MISTRAL} revoked"
    assert redact(echoed) == echoed  # unrecognisable unless named
    assert redact(echoed, MISTRAL) == f"401: key {REDACTED} is not valid; key {REDACTED} revoked"


def test_named_and_recognisable_secrets_are_both_masked() -> None:
    text = f"sent {MISTRAL}, stored {ENVELOPE}, also saw {OPENAI}"
    assert redact(text, MISTRAL) == (
        f"sent {REDACTED}, stored $kv{REDACTED}, also saw sk-proj-{REDACTED}"
    )


@pytest.mark.parametrize("nothing", [None, ""])
def test_an_absent_secret_changes_nothing(nothing: str | None) -> None:
    assert redact("verified in 42 ms", nothing) == "verified in 42 ms"
