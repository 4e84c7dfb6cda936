"""Which models and columns hold encrypted values, with the cipher and blind index of each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from ..crypto import FieldCipher
from ..crypto.blind_index import BlindIndex
from ..encryption.fields import BlindIndexField, EncryptedTextField


@dataclass(frozen=True)
class FieldSpec:
    """One encrypted column, with the blind index column that tracks it, if any."""

    field: EncryptedTextField
    column: str
    cipher: FieldCipher
    index: BlindIndex | None = None
    index_column: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model with encrypted fields; raw rows of it are read as `pk, *columns`."""

    model: type[models.Model]
    fields: tuple[FieldSpec, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def pk_column(self) -> str:
        pk = self.model._meta.pk
        assert pk is not None  # every concrete model has one
        return str(pk.column)

    @property
    def columns(self) -> list[str]:
        """Each encrypted column followed by its blind index column, if it has one."""
        columns = []
        for f in self.fields:
            columns.append(f.column)
            if f.index_column:
                columns.append(f.index_column)
        return columns


def encrypted_models(labels: Sequence[str] = ()) -> list[ModelSpec]:
    """Models with encrypted fields: all of them, or those named `app_label.Model`.

    LookupError for an unknown label, ValueError for a model without an encrypted field.
    """
    wanted = [apps.get_model(label) for label in labels] if labels else apps.get_models()
    specs = []
    for model in wanted:
        fields = tuple(_field_specs(model))
        if fields:
            specs.append(ModelSpec(model, fields))
    if labels and len(specs) != len(wanted):
        plain = sorted({m._meta.label for m in wanted} - {s.label for s in specs})
        raise ValueError(f"{', '.join(plain)} has no encrypted field.")
    return specs


def _field_specs(model: type[models.Model]) -> Iterator[FieldSpec]:
    local = [f for f in model._meta.local_concrete_fields]
    indexes = {f.source: f for f in local if isinstance(f, BlindIndexField)}
    for f in local:
        if isinstance(f, EncryptedTextField):
            index_field = indexes.get(f.name)
            yield FieldSpec(
                field=f,
                column=str(f.column),
                cipher=f.cipher(),
                index=index_field.index() if index_field else None,
                index_column=index_field.column if index_field else None,
            )


def count_rows(specs: Sequence[ModelSpec], using: str = "default") -> int:
    """Rows of all these models: the total a progress bar counts towards."""
    return sum(spec.model._base_manager.using(using).count() for spec in specs)
