"""Import runs: read a source, plan, and (unless it is a dry run) apply the plan.

Commands and the admin page call these functions and only print or render the report. A row
that fails (cannot be decrypted, is not a valid key) is reported and the others still import;
each write is its own transaction with its audit event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

from settings_app import audit
from settings_app.crypto import DecryptionError
from settings_app.models import AuditAction

from .dotenv_source import EnvFile, select
from .errors import RailsDecryptionError
from .names import provider_for_name
from .plan import STORED, WRITES, Candidate, PlanItem, Status, build_plan
from .rails_crypto import RailsDecryptor, looks_encrypted
from .rails_source import EncryptedValue
from .store import Outcome, store_value

MAX_FAILURES_AUDITED = 20  # a run's audit event names at most this many failed sources
PLAINTEXT_SKIP = "stored unencrypted in the Rails database; --allow-plaintext imports it"


@dataclass(frozen=True)
class ImportReport:
    """What a run found and did, item by item (masks only)."""

    items: list[PlanItem]
    dry_run: bool
    ignored: int = 0  # .env variables that are not secrets
    unparsed_lines: list[int] = field(default_factory=list)

    @property
    def failed(self) -> list[PlanItem]:
        return [item for item in self.items if item.status is Status.FAILED]

    @property
    def conflicts(self) -> list[PlanItem]:
        return [item for item in self.items if item.status is Status.CONFLICT]

    def lines(self) -> list[str]:
        """The report as text lines: one per item, then notes and the summary."""
        lines = [item.describe() for item in self.items]
        if self.unparsed_lines:
            numbers = ", ".join(map(str, self.unparsed_lines))
            lines.append(f"Not parsed by python-dotenv, left alone: line(s) {numbers}.")
        if self.ignored:
            lines.append(f"{self.ignored} other variable(s) are not secrets; left alone.")
        lines.append(self.summary())
        return lines

    def summary(self) -> str:
        counts = Counter(item.label for item in self.items)
        text = ", ".join(f"{count} {label}" for label, count in counts.items()) or "no keys found"
        return f"{'Dry run: ' if self.dry_run else ''}{text}."


@dataclass(frozen=True)
class EnvImportReport(ImportReport):
    deletable: dict[int, str] = field(default_factory=dict)  # line -> setting holding its value


# --- applying --------------------------------------------------------------------------------


def apply_plan(
    items: Iterable[PlanItem], *, replace_existing: bool, actor: AbstractBaseUser | None = None
) -> list[PlanItem]:
    """Write every item the plan imports or replaces; the returned items hold no values."""
    return [
        _apply(item, replace_existing, actor) if item.status in WRITES else item for item in items
    ]


def _apply(item: PlanItem, replace_existing: bool, actor: AbstractBaseUser | None) -> PlanItem:
    assert item.value is not None  # the plan gives every importable item its cleaned value
    try:
        outcome = store_value(
            item.name,
            item.value,
            provider=item.provider,
            replace=replace_existing,
            source=item.source,
            actor=actor,
        )
    except DecryptionError:
        detail = "the stored setting cannot be decrypted; fix it first"
        return replace(item, status=Status.FAILED, detail=detail, value=None)
    except ValidationError as error:  # refused at the write: this row fails, the run goes on
        return replace(item, status=Status.FAILED, detail=" ".join(error.messages), value=None)
    if outcome is Outcome.UNCHANGED:
        return replace(item, status=Status.UNCHANGED, detail="same value", value=None)
    if outcome is Outcome.KEPT:
        detail = "holds a different value; kept"
        return replace(item, status=Status.CONFLICT, detail=detail, stored_as="", value=None)
    return replace(item, done=True, value=None)


def _run(
    importer: str,
    source: str,
    candidates: list[Candidate],
    *,
    replace_existing: bool,
    dry_run: bool,
    actor: AbstractBaseUser | None,
) -> list[PlanItem]:
    items = build_plan(candidates, replace_existing=replace_existing)
    if dry_run:
        return [replace(item, value=None) for item in items]
    items = apply_plan(items, replace_existing=replace_existing, actor=actor)
    failed = [item.source for item in items if item.status is Status.FAILED]
    audit.record_as_current_actor(
        AuditAction.IMPORTED,
        importer=importer,
        imported_from=source,
        imported=sum(item.done for item in items),
        failed_count=len(failed),
        failed=failed[:MAX_FAILURES_AUDITED],
    )
    return items


# --- Rails -----------------------------------------------------------------------------------


def import_rails(
    values: Iterable[EncryptedValue],
    decryptor: RailsDecryptor,
    *,
    source: str,
    allow_plaintext: bool = False,
    replace_existing: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Decrypt, plan and (unless `dry_run`) import the values a Rails source holds."""
    candidates = [rails_candidate(v, decryptor, allow_plaintext=allow_plaintext) for v in values]
    items = _run(
        "rails", source, candidates, replace_existing=replace_existing, dry_run=dry_run, actor=None
    )
    return ImportReport(items, dry_run)


def rails_candidate(
    value: EncryptedValue, decryptor: RailsDecryptor, *, allow_plaintext: bool
) -> Candidate:
    """The candidate one stored Rails value makes: decrypted, or why it cannot be."""
    base = Candidate(value.name, provider_for_name(value.name), value.source)
    if value.problem:
        return replace(base, problem=value.problem)
    if not value.text:
        return replace(base, skip="empty")
    if not looks_encrypted(value.text):
        if not allow_plaintext:
            return replace(base, skip=PLAINTEXT_SKIP)
        return replace(base, value=value.text, note="was stored unencrypted in Rails")
    try:
        decrypted = decryptor.decrypt(value.text)
    except RailsDecryptionError as error:
        return replace(base, problem=f"cannot decrypt: {error}")
    return replace(base, value=decrypted.text, note=f"decrypted with {decrypted.key_label}")


# --- .env ------------------------------------------------------------------------------------


def import_env(
    env: EnvFile,
    *,
    include_all: bool = False,
    replace_existing: bool = False,
    dry_run: bool = False,
    actor: AbstractBaseUser | None = None,
    group: bool = True,
) -> EnvImportReport:
    """Plan and (unless `dry_run`) import the provider keys of a parsed .env file; with
    `group`, known families of variables become one structured credential each."""
    selection = select(env, include_all=include_all, group=group)
    items = _run(
        "env",
        env.label,
        selection.candidates,
        replace_existing=replace_existing,
        dry_run=dry_run,
        actor=actor,
    )
    deletable = {
        line: item.stored_as
        for item in items
        if item.status in STORED and item.stored_as
        for line in selection.lines[item.source]
    }
    return EnvImportReport(items, dry_run, selection.ignored, env.unparsed_lines, deletable)
