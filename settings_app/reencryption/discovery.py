"""Which models and columns hold encrypted values, with the cipher and index columns of each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.apps import apps
from django.db import models

from ..credentials.index import SecretFieldsIndexField
from ..crypto import FieldCipher
from ..crypto.blind_index import BlindIndex
from ..encryption.fields import BlindIndexField, EncryptedTextField


@dataclass(frozen=True)
class FieldSpec:
    """One encrypted column, with the index columns derived from its plaintext, if any: the
    blind index of the whole value, and the fingerprints of a credential's secret fields."""

    field: EncryptedTextField
    column: str
    cipher: FieldCipher
    index: BlindIndex | None = None
    index_column: str | None = None
    fields_index: SecretFieldsIndexField | None = None

    @cached_property
    def fields_index_column(self) -> str | None:
        return None if self.fields_index is None else str(self.fields_index.column)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The encrypted column, then its index columns: how a raw row lays them out."""
        derived = (self.index_column, self.fields_index_column)
        return (self.column, *(c for c in derived if c))


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
        """Each encrypted column followed by its index columns, if it has any."""
        return [column for f in self.fields for column in f.columns]


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
    fields_indexes = {f.source: f for f in local if isinstance(f, SecretFieldsIndexField)}
    for f in local:
        if isinstance(f, EncryptedTextField):
            index_field = indexes.get(f.name)
            yield FieldSpec(
                field=f,
                column=str(f.column),
                cipher=f.cipher(),
                index=index_field.index() if index_field else None,
                index_column=index_field.column if index_field else None,
                fields_index=fields_indexes.get(f.name),
            )


def count_rows(specs: Sequence[ModelSpec], using: str = "default") -> int:
    """Rows of all these models: the total a progress bar counts towards."""
    return sum(spec.model._base_manager.using(using).count() for spec in specs)
