"""Benchmark 6: what building the key set costs a process, against fernet-fields' PBKDF2 keys."""

from __future__ import annotations

from encrypted_fields.fields import EncryptedTextField as FernetTextField

from settings_app.crypto import KeySet, generate_key

from .report import Result, verdict
from .sizes import Sizes
from .timing import Sample, progress, ratio, time_once

TARGET_MS = 1.0


def run(sizes: Sizes) -> list[Result]:
    primary, old1, old2, det, det_old, salt = (generate_key() for _ in range(6))

    def build_keysets() -> None:
        for _ in range(sizes.startup_calls):
            KeySet(
                primary=primary,
                primary_fallbacks=[old1, old2],
                deterministic=det,
                deterministic_fallbacks=[det_old],
                salt=salt,
            )

    def derive_fernet_keys() -> None:
        FernetTextField().keys  # noqa: B018  (a fresh field derives its keys on first access)

    progress(f"start-up: {sizes.rounds} rounds")
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(sizes.rounds):
        ours.append(time_once(build_keysets) / sizes.startup_calls)
        theirs.append(time_once(derive_fernet_keys))
    keyset, fernet = Sample(tuple(ours)), Sample(tuple(theirs))
    return [
        Result(
            "6 KeySet() start-up, 3 primary + 2 deterministic keys + salt",
            f"{keyset.median * 1e3:.3f} ms",
            f"< {TARGET_MS:g} ms",
            verdict(keyset.median * 1e3 < TARGET_MS),
            f"{keyset.spread(1e3, 'ms')}; fernet-fields PBKDF2 keys {fernet.spread(1e3, 'ms')} "
            f"({ratio(fernet, keyset):,.0f}x slower)",
        )
    ]
