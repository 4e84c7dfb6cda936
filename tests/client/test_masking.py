"""Masking secrets in output that arrives in chunks of any size."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from keyvault_client.masking import SecretMasker, masked_fragments

SECRET = "sk-proj-MaskMe0123456789"


def masked_in_chunks(
    secrets: list[str], text: bytes, sizes: list[int]
) -> tuple[list[bytes], bytes]:
    """What the masker writes after each chunk, and everything it wrote in the end."""
    masker = SecretMasker(secrets)
    written, position = [], 0
    for size in sizes:
        written.append(masker.feed(text[position : position + size]))
        position += size
    written.append(masker.feed(text[position:]))
    written.append(masker.finish())
    return written, b"".join(written)


def whole_text_masked(secrets: list[str], text: bytes) -> bytes:
    encoded = sorted({s.encode() for s in secrets if s}, key=len, reverse=True)
    pattern = b"|".join(re.escape(s) for s in encoded)
    return re.sub(pattern, b"***", text) if encoded else text


def test_a_secret_split_over_every_possible_boundary_is_masked() -> None:
    text = f"key={SECRET}; again {SECRET}\n".encode()
    for cut in range(1, len(text)):
        _, out = masked_in_chunks([SECRET], text, [cut])
        assert out == b"key=***; again ***\n", cut


def test_output_that_cannot_begin_a_secret_is_passed_on_at_once() -> None:
    written, _ = masked_in_chunks([SECRET], b"ready\nlistening on :8000\n", [6])
    assert written[0] == b"ready\n"  # not held back waiting for more
    written, _ = masked_in_chunks([SECRET], b"value: sk-pr", [12])
    assert written[0] == b"value: "  # "sk-pr" may be the start of the secret: held back


def test_only_the_end_that_could_begin_a_secret_is_held() -> None:
    masker = SecretMasker([SECRET])
    assert masker.feed(b"token sk-proj-Mask") == b"token "
    assert masker.feed(b"ed and more") == b"sk-proj-Masked and more"
    assert masker.finish() == b""


def test_a_secret_that_begins_with_another_is_masked_whole() -> None:
    secrets = ["abc123", "abc123-longer-secret"]
    _, out = masked_in_chunks(secrets, b"x abc123-longer-secret y abc123 z", [4, 4, 4, 4])
    assert out == b"x *** y *** z"


def test_nothing_to_mask_passes_everything_through() -> None:
    masker = SecretMasker(["", ""])
    assert masker.feed(b"anything") == b"anything" and masker.finish() == b""


def test_non_ascii_secrets_are_masked_in_utf8_output() -> None:
    _, out = masked_in_chunks(["pässwörd-ключ"], "→ pässwörd-ключ ←".encode(), [5, 3])
    assert out == "→ *** ←".encode()


secret_text = st.text(alphabet="abcs-k\n", min_size=1, max_size=8)


@given(
    secrets=st.lists(secret_text, min_size=1, max_size=4),
    pieces=st.lists(
        st.one_of(secret_text, st.sampled_from(["abc", "sk-", "\n", "ab"])), max_size=12
    ),
    sizes=st.lists(st.integers(min_value=1, max_value=6), max_size=20),
)
def test_chunked_masking_equals_masking_the_whole_text(
    secrets: list[str], pieces: list[str], sizes: list[int]
) -> None:
    text = "".join(pieces).encode()
    _, out = masked_in_chunks(secrets, text, sizes)
    assert out == whole_text_masked(secrets, text)


# --- what is masked (issue 22, item 4) ----------------------------------------------------------


def test_values_shorter_than_eight_characters_are_not_masked() -> None:
    fragments, short = masked_fragments(["0", "sk-proj-MaskMe0123456789", "1234567"])
    assert fragments == ["sk-proj-MaskMe0123456789"] and short == 2
    masker = SecretMasker(fragments)
    assert masker.feed(b"200 OK\n") + masker.finish() == b"200 OK\n"


def test_each_line_of_a_multi_line_value_is_masked_on_its_own() -> None:
    pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG\nshort\n-----END KEY-----"
    fragments, short = masked_fragments([pem])
    assert short == 0
    masker = SecretMasker(fragments)
    out = masker.feed(b"line: MIIEvQIBADANBgkqhkiG\nshort stays\n") + masker.finish()
    assert out == b"line: ***\nshort stays\n"
