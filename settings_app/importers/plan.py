"""The import plan: what each key a source offers would become, decided before anything is written.

Every candidate is validated as the admin form validates (key name, provider rules), then
compared with what keyvault holds: the same value under the same name (nothing to do), the
value under another name (found through the blind index: no stored value is decrypted), or a
different value under the same name (kept unless replacing). A plan shows masks, never values.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from django.core.exceptions import ValidationError

from settings_app.credentials.masks import credential_mask
from settings_app.credentials.storage import clean_value
from settings_app.crypto import DecryptionError
from settings_app.encryption.fields import refuse_reserved
from settings_app.models import Setting, validate_setting_key
from settings_app.providers.masking import mask

BOM = "\ufeff"
FINGERPRINT = Setting._meta.get_field("value_fingerprint")


class Status(StrEnum):
    IMPORT = "import"
    REPLACE = "replace"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    FAILED = "failed"


# (planned, done) wording of each status, as reports show it.
STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.IMPORT: ("would import", "imported"),
    Status.REPLACE: ("would replace", "replaced"),
    Status.UNCHANGED: ("exists", "exists"),
    Status.CONFLICT: ("exists", "exists"),
    Status.DUPLICATE: ("duplicate", "duplicate"),
    Status.SKIPPED: ("skipped", "skipped"),
    Status.FAILED: ("failed", "failed"),
}
WRITES = frozenset({Status.IMPORT, Status.REPLACE})
# The value is in keyvault afterwards, so the source may forget it.
STORED = frozenset({Status.IMPORT, Status.REPLACE, Status.UNCHANGED, Status.DUPLICATE})


@dataclass(frozen=True)
class Candidate:
    """A key a source offers: its setting name, where it was found, and its value or a problem."""

    name: str
    provider: str
    source: str
    value: str | None = field(default=None, repr=False)
    problem: str = ""  # why it cannot be imported (failed to decrypt, ...)
    skip: str = ""  # why it is deliberately left out (empty, unencrypted, ...)
    note: str = ""  # how it was read, e.g. "decrypted with primary key 1, SHA-256"


@dataclass(frozen=True)
class PlanItem:
    """One candidate's fate. `value` is the cleaned plaintext, kept only to write it."""

    name: str
    provider: str
    source: str
    status: Status
    detail: str = ""
    mask: str = ""
    stored_as: str = ""  # the setting that holds the value afterwards (for .env clean-up)
    value: str | None = field(default=None, repr=False, compare=False)
    done: bool = False

    @property
    def label(self) -> str:
        planned, done = STATUS_LABELS[self.status]
        return done if self.done else planned

    def describe(self) -> str:
        """One report line: name, status, mask, detail and source; never the value."""
        parts = [self.name, self.label]
        if self.mask:
            parts.append(self.mask)
        text = "  ".join(parts)
        if self.detail:
            text += f": {self.detail}"
        return f"{text}  [{self.source}]"


def build_plan(candidates: Iterable[Candidate], *, replace_existing: bool) -> list[PlanItem]:
    """The plan for `candidates`, in order; reads the database (in a few queries whatever the
    number of candidates), writes nothing."""
    cleaned = [_cleaned(candidate) for candidate in candidates]
    stored = _Stored.of(item for item in cleaned if item.status is _CLEANED)
    planner = _Planner(replace_existing, stored)
    return [planner.plan(item) for item in cleaned]


_CLEANED = Status.IMPORT  # the status of an item that passed `_cleaned`, before the database


def _cleaned(candidate: Candidate) -> PlanItem:
    """The candidate's item with its cleaned value, or failed or skipped with the reason."""
    item = PlanItem(candidate.name, candidate.provider, candidate.source, Status.FAILED)
    if candidate.problem:
        return replace(item, detail=candidate.problem)
    if candidate.skip or candidate.value is None:
        return replace(item, status=Status.SKIPPED, detail=candidate.skip or "no value")
    try:
        validate_setting_key(candidate.name)
        # A byte-order mark pasted with a value (not the file's) is never part of a key.
        value = clean_value(candidate.provider, candidate.value.lstrip(BOM))
        refuse_reserved(value)  # as the field would, at the write: a failed row, not a crash
    except ValidationError as error:
        return replace(item, detail=" ".join(error.messages))  # messages never quote values
    masked = credential_mask(value) or mask(value, candidate.provider)
    return replace(item, status=_CLEANED, mask=masked, value=value, detail=candidate.note)


@dataclass(frozen=True)
class _Stored:
    """What the database holds for a whole plan: settings by key, keys by value fingerprint."""

    settings: dict[str, Setting]
    keys_by_fingerprint: dict[str, set[str]]
    fingerprints: dict[str, list[str]]  # cleaned value -> its candidate fingerprints

    @classmethod
    def of(cls, items: Iterable[PlanItem]) -> _Stored:
        items = list(items)
        index = FINGERPRINT.index()
        fingerprints = {item.value: index.candidates(item.value) for item in items if item.value}
        names = sorted({item.name for item in items})
        settings: dict[str, Setting] = {}
        for chunk in _chunks(names):
            found = Setting.objects.defer("value").filter(key__in=chunk)
            settings.update((setting.key, setting) for setting in found)
        keys: dict[str, set[str]] = {}
        for chunk in _chunks(sorted({f for fs in fingerprints.values() for f in fs})):
            rows = Setting.objects.filter(value_fingerprint__in=chunk)
            for key, fingerprint in rows.values_list("key", "value_fingerprint"):
                keys.setdefault(fingerprint, set()).add(key)
        return cls(settings, keys, fingerprints)

    def elsewhere(self, value: str, name: str) -> str | None:
        """The first other setting (by key) that holds `value`."""
        found = {k for f in self.fingerprints[value] for k in self.keys_by_fingerprint.get(f, ())}
        return min(found - {name}, default=None)


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    """Slices small enough for every database's limit on query parameters."""
    return (values[start : start + size] for start in range(0, len(values), size))


class _Planner:
    """Remembers the names and values earlier candidates claimed, to catch repeats."""

    def __init__(self, replace_existing: bool, stored: _Stored) -> None:
        self.replace_existing = replace_existing
        self.stored = stored
        self.names: dict[str, str] = {}  # name -> source that claimed it
        self.values: dict[str, str] = {}  # cleaned value -> name that will hold it

    def plan(self, item: PlanItem) -> PlanItem:
        value = item.value
        if item.status is not _CLEANED or value is None:
            return item
        note, item = item.detail, replace(item, detail="")
        claimed_by = self.names.setdefault(item.name, item.source)
        if claimed_by != item.source:
            detail = f"the name also comes from {claimed_by}; keep one"
            return replace(item, status=Status.FAILED, detail=detail)
        decided = self._against_database(item, value)
        if decided.status in STORED:
            self.values.setdefault(value, decided.stored_as)
        if note and decided.status in WRITES:
            decided = replace(decided, detail=note)
        return decided

    def _against_database(self, item: PlanItem, value: str) -> PlanItem:
        fingerprints = self.stored.fingerprints[value]
        existing = self.stored.settings.get(item.name)
        try:
            same = existing is not None and _holds(existing, fingerprints, value)
        except DecryptionError:
            detail = "the stored setting cannot be decrypted; fix it first"
            return replace(item, status=Status.FAILED, detail=detail)
        if same:
            return replace(item, status=Status.UNCHANGED, detail="same value", stored_as=item.name)
        elsewhere = self.stored.elsewhere(value, item.name)
        earlier = elsewhere or self.values.get(value)
        if earlier:
            where = "already stored as" if elsewhere else "same value as"
            detail = f"{where} {earlier}" + ("" if elsewhere else " in this import")
            return replace(item, status=Status.DUPLICATE, detail=detail, stored_as=earlier)
        if existing is None:
            return replace(item, status=Status.IMPORT, stored_as=item.name)
        if not self.replace_existing:
            return replace(item, status=Status.CONFLICT, detail="holds a different value; kept")
        try:  # the setting keeps its provider, whose rules the new value must meet
            clean_value(existing.provider, value)
        except ValidationError as error:
            return replace(item, status=Status.FAILED, detail=" ".join(error.messages))
        return replace(item, provider=existing.provider, status=Status.REPLACE, stored_as=item.name)


def _holds(setting: Setting, fingerprints: list[str], value: str) -> bool:
    """Whether `setting` holds `value`: by fingerprint, or by its plaintext when it has none."""
    if setting.value_fingerprint is not None:
        return setting.value_fingerprint in fingerprints
    return hmac.compare_digest(setting.value.encode(), value.encode())


def has_failures(items: Iterable[PlanItem]) -> bool:
    return any(item.status is Status.FAILED for item in items)
