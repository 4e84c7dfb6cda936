"""Write the key-check record, and check the configured keys against it.

Each part is an envelope of `CHECK_TEXT` in a context of its own, under the same derived keys
as the data: if no configured key opens it, the keys (or the salt they are derived with) are
not the ones that wrote the data. A part that only a fallback opens is stale, not wrong.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import connections

from ..crypto import DeterministicCipher, FieldCipher, KeySet, RandomizedCipher, ValueState
from ..encryption import keyring
from ..encryption.key_advice import DETERMINISTIC, PRIMARY, SALT
from .models import KeyCheck

CHECK_TEXT = "keyvault key check v1"
RECORD_PK = 1
PARTS = {"randomized": PRIMARY, "deterministic": DETERMINISTIC}  # field -> the key it checks
SAMPLE_SIZE = 20  # recent values per column looked at before a first record is written
_OPENED: frozenset[ValueState] = frozenset({"current", "fallback"})


class KeyCheckState(enum.Enum):
    MISSING = "missing"  # none written yet: nothing to say
    CURRENT = "current"  # the current keys wrote it
    STALE = "stale"  # a fallback key opens it: `reencrypt` moves it to the current keys
    MISMATCH = "mismatch"  # no configured key opens a part: not the keys that wrote the data
    DAMAGED = "damaged"  # its header names a configured key, but it does not authenticate


_SUMMARIES = {
    KeyCheckState.MISSING: "no record yet; `manage.py migrate` writes one when the keys are "
    "configured, `manage.py reencrypt` once every value verifies.",
    KeyCheckState.CURRENT: "the configured keys are the ones that wrote the data.",
    KeyCheckState.STALE: "a fallback key wrote the record; `manage.py reencrypt` moves it to "
    "the current keys.",
    KeyCheckState.MISMATCH: "FAILED: the salt or keys differ from those that wrote the data.",
    KeyCheckState.DAMAGED: "FAILED: the key-check record was altered.",
}


@dataclass(frozen=True)
class KeyCheckResult:
    """What the record says about the configured keys; `message` says it to an operator."""

    state: KeyCheckState
    failed: tuple[str, ...] = ()  # the settings whose keys cannot open their part
    key_ids: tuple[str, ...] = ()  # the key ids the record's parts name

    @property
    def is_problem(self) -> bool:
        return self.state in (KeyCheckState.MISMATCH, KeyCheckState.DAMAGED)

    @property
    def summary(self) -> str:
        return _SUMMARIES[self.state]

    @property
    def message(self) -> str:
        written_under = f"written under key ids {' and '.join(self.key_ids)}"
        if self.state is KeyCheckState.DAMAGED:
            return (
                f"The key-check record ({written_under}) was altered: it names configured keys "
                "but does not authenticate under them. `manage.py reencrypt` writes it again "
                "once every stored value verifies."
            )
        if self.state is not KeyCheckState.MISMATCH:
            return self.summary
        if len(self.failed) == len(PARTS):
            return (
                "The salt or keys differ from those that wrote the data: none of the configured "
                f"keys opens the key-check record ({written_under}), so no stored value can be "
                f"read. The salt is the likely cause ({SALT}): changing it changes every derived "
                "key at once. Restore the salt and keys the data was written with; until then, "
                "do not run `manage.py reencrypt` or enter values again."
            )
        return (
            f"The keys differ from those that wrote the data: no key in {self.failed[0]} or its "
            f"*_FALLBACKS opens the key-check record ({written_under}); the salt is right, "
            "since the other key opens its part. Put the key that wrote it back in "
            f"{self.failed[0]}_FALLBACKS (or restore {self.failed[0]})."
        )


def check_keys(using: str = "default") -> KeyCheckResult:
    """Whether the configured keys open the record; EncryptionError if they are unusable."""
    record = KeyCheck.objects.using(using).filter(pk=RECORD_PK).first()
    if record is None:
        return KeyCheckResult(KeyCheckState.MISSING)
    ciphers = _ciphers(keyring.get_keyset())
    texts = {name: str(getattr(record, name)) for name in PARTS}
    states = {name: ciphers[name].classify(texts[name]) for name in PARTS}
    key_ids = tuple(ciphers[name].key_id_of(texts[name]) or "?" for name in PARTS)
    failed = tuple(PARTS[name] for name, state in states.items() if state == "unknown-key")
    if failed:
        return KeyCheckResult(KeyCheckState.MISMATCH, failed, key_ids)
    if any(state not in _OPENED for state in states.values()):
        return KeyCheckResult(KeyCheckState.DAMAGED, (), key_ids)
    if "fallback" in states.values():
        return KeyCheckResult(KeyCheckState.STALE, (), key_ids)
    return KeyCheckResult(KeyCheckState.CURRENT, (), key_ids)


def write_key_check(using: str = "default") -> None:
    """Write (or replace) the record under the current keys."""
    ciphers = _ciphers(keyring.get_keyset())
    sealed = {name: ciphers[name].encrypt(CHECK_TEXT) for name in PARTS}
    KeyCheck.objects.using(using).update_or_create(pk=RECORD_PK, defaults=sealed)


def ensure_key_check(using: str = "default") -> bool:
    """Write a first record, unless there is one or stored values contradict the keys.

    True if it wrote one. A key set that opens none of the recent values it finds cannot have
    written them: sealing the record under it would bless the wrong keys.
    """
    if KeyCheck.objects.using(using).filter(pk=RECORD_PK).exists():
        return False
    keyring.get_keyset()  # unusable keys: EncryptionError, and nothing is written
    if _stored_values_contradict_keys(using):
        return False
    write_key_check(using)
    return True


def refresh_key_check(using: str = "default", *, every_value_verified: bool) -> bool:
    """After a re-encryption: move a stale record to the current keys; write a missing or
    altered one if every value verified. Never touch one the keys cannot open. True if written.
    """
    state = check_keys(using).state
    if state is KeyCheckState.STALE or (
        every_value_verified and state in (KeyCheckState.MISSING, KeyCheckState.DAMAGED)
    ):
        write_key_check(using)
        return True
    return False


def _ciphers(keyset: KeySet) -> dict[str, FieldCipher]:
    return {
        "randomized": RandomizedCipher(keyset.randomized, "settings_app.KeyCheck.randomized"),
        "deterministic": DeterministicCipher(
            keyset.deterministic, "settings_app.KeyCheck.deterministic"
        ),
    }


def _stored_values_contradict_keys(using: str) -> bool:
    """True if recent encrypted values exist and the configured keys open none of them."""
    from ..reencryption.discovery import encrypted_models  # imports the fields: not at load

    tables = set(connections[using].introspection.table_names())
    sealed = False
    for spec in encrypted_models():
        if spec.table not in tables:
            continue  # not migrated yet: nothing stored there
        for f in spec.fields:
            for text in _recent_values(using, spec.table, spec.pk_column, f.column):
                state = f.cipher.classify(text)
                if state in _OPENED:
                    return False
                sealed = sealed or state != "plaintext"
    return sealed


def _recent_values(using: str, table: str, pk: str, column: str) -> list[str]:
    connection = connections[using]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote(column)} FROM {quote(table)} "  # noqa: S608 (quoted names)
        f"WHERE {quote(column)} IS NOT NULL ORDER BY {quote(pk)} DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [SAMPLE_SIZE])
        return [str(row[0]) for row in cursor.fetchall()]
