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

from settings_app import providers
from settings_app.crypto import DecryptionError
from settings_app.models import Setting, validate_setting_key
from settings_app.providers.masking import mask

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
    """The plan for `candidates`, in order; reads the database, writes nothing."""
    planner = _Planner(replace_existing)
    return [planner.plan(candidate) for candidate in candidates]


class _Planner:
    """Remembers the names and values earlier candidates claimed, to catch repeats."""

    def __init__(self, replace_existing: bool) -> None:
        self.replace_existing = replace_existing
        self.names: dict[str, str] = {}  # name -> source that claimed it
        self.values: dict[str, str] = {}  # cleaned value -> name that will hold it

    def plan(self, candidate: Candidate) -> PlanItem:
        item = PlanItem(candidate.name, candidate.provider, candidate.source, Status.FAILED)
        if candidate.problem:
            return replace(item, detail=candidate.problem)
        if candidate.skip or candidate.value is None:
            return replace(item, status=Status.SKIPPED, detail=candidate.skip or "no value")
        try:
            validate_setting_key(candidate.name)
            value = providers.clean_value(candidate.provider, candidate.value)
        except ValidationError as error:
            return replace(item, detail=" ".join(error.messages))  # messages never quote values
        item = replace(item, mask=mask(value, candidate.provider), value=value)
        claimed_by = self.names.setdefault(candidate.name, candidate.source)
        if claimed_by != candidate.source:
            return replace(item, detail=f"the name also comes from {claimed_by}; keep one")
        decided = self._against_database(item, value)
        if decided.status in STORED:
            self.values.setdefault(value, decided.stored_as)
        if candidate.note and decided.status in WRITES:
            decided = replace(decided, detail=candidate.note)
        return decided

    def _against_database(self, item: PlanItem, value: str) -> PlanItem:
        fingerprints = FINGERPRINT.index().candidates(value)
        existing = Setting.objects.defer("value").filter(key=item.name).first()
        try:
            same = existing is not None and _holds(existing, fingerprints, value)
        except DecryptionError:
            return replace(item, detail="the stored setting cannot be decrypted; fix it first")
        if same:
            return replace(item, status=Status.UNCHANGED, detail="same value", stored_as=item.name)
        elsewhere = (
            Setting.objects.filter(value_fingerprint__in=fingerprints)
            .exclude(key=item.name)
            .values_list("key", flat=True)
            .first()
        )
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
            providers.clean_value(existing.provider, value)
        except ValidationError as error:
            return replace(item, detail=" ".join(error.messages))
        return replace(item, provider=existing.provider, status=Status.REPLACE, stored_as=item.name)


def _holds(setting: Setting, fingerprints: list[str], value: str) -> bool:
    """Whether `setting` holds `value`: by fingerprint, or by its plaintext when it has none."""
    if setting.value_fingerprint is not None:
        return setting.value_fingerprint in fingerprints
    return hmac.compare_digest(setting.value.encode(), value.encode())


def has_failures(items: Iterable[PlanItem]) -> bool:
    return any(item.status is Status.FAILED for item in items)
