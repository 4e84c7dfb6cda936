"""EncryptedTextField: a TextField whose column holds only keyvault envelopes.

Values are encrypted on the way to the database (`get_prep_value`) and decrypted on the way
back (a database converter), bound to `app_label.Model.field`. A value that cannot be decrypted
loads as an `UnreadableValue`, so one bad row never stops a query. Envelopes given as input
(forms, the ORM) are refused, never opened: only deserialization (`loaddata`) opens them.
Lookups that cannot work on ciphertext raise FieldError when the query is built instead of
silently matching nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError, ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.constants import LOOKUP_SEP
from django.db.models.lookups import IsNull, Lookup
from django.db.models.signals import pre_save
from django.utils.functional import cached_property

from ..crypto import DeterministicCipher, FieldCipher, blind_index
from ..crypto.envelope import MARKER
from . import keyring
from .unreadable import UnreadableValue, require_readable

__all__ = ["BlindIndexField", "EncryptedManager", "EncryptedQuerySet", "EncryptedTextField"]
# Migrations and developers name the fields by the path they have always had.
PUBLIC_MODULE = "settings_app.fields"

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]
RESERVED_MESSAGE = (
    f"Values that start with '{MARKER}' are reserved for keyvault ciphertexts, so this one "
    "cannot be stored. Paste the plain key instead of a ciphertext from a dump or a backup."
)


class EncryptedTextField(models.TextField):
    """Text encrypted at rest: AES-256-GCM, or AES-256-SIV with `deterministic=True`.

    Deterministic fields support `exact`, `in` and `isnull` lookups (matching rows under every
    configured deterministic key); randomized fields support `isnull` only.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, deterministic: bool = False, **kwargs: Any) -> None:
        self.deterministic = deterministic
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        path = _public_path(path)
        if self.deterministic:
            kwargs["deterministic"] = True
        return name, path, args, kwargs

    @cached_property
    def context(self) -> str:
        """Where values live, bound into every ciphertext: `app_label.Model.field`."""
        return f"{self.model._meta.label}.{self.name}"

    def cipher(self) -> FieldCipher:
        return keyring.get_cipher(self.context, deterministic=self.deterministic)

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        if not cls._meta.abstract:
            # A weak reference to the bound method: it lives as long as the model class does.
            uid = f"keyvault-encrypted-field:{cls._meta.label}.{name}"
            pre_save.connect(self._check_before_saving, sender=cls, dispatch_uid=uid)

    # --- database -> Python ----------------------------------------------------------------
    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Converter]:
        # Built once per query, not once per row; a row that does not decrypt loads as an
        # UnreadableValue: this row's problem, not the query's.
        return [
            self.cipher().column_reader(UnreadableValue),
            *super().get_db_converters(connection),
        ]

    # --- Python -> database ----------------------------------------------------------------
    def get_prep_value(self, value: Any) -> Any:
        value = self.to_python(require_readable(models.Field.get_prep_value(self, value)))
        if value is None:
            return None
        refuse_reserved(value)
        return self.cipher().encrypt(value)

    def to_python(self, value: Any) -> Any:
        """Text as it is: an envelope given as input is never opened (see validate())."""
        if value is None or isinstance(value, str | UnreadableValue):
            return value
        return str(value)

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if isinstance(value, str):
            refuse_reserved(value)

    def value_to_string(self, obj: models.Model) -> Any:
        """Serializers (dumpdata) write ciphertext, never plaintext."""
        value = require_readable(self.value_from_object(obj))
        return None if value is None else self.cipher().encrypt(str(value))

    def _check_before_saving(
        self, sender: Any, instance: models.Model, raw: bool, update_fields: Any, **_: Any
    ) -> None:
        """Before a save starts its transaction: loaddata (raw=True) has the envelopes dumpdata
        wrote opened, so they are stored as the values they hold; any other save refuses an
        envelope or an unreadable value here, with the same errors as get_prep_value()."""
        if update_fields is not None and self.name not in update_fields:
            return
        value = getattr(instance, self.attname)
        if raw and isinstance(value, str) and value.startswith(MARKER):
            setattr(instance, self.attname, self.cipher().decrypt(value))
        elif not raw and isinstance(value, str | UnreadableValue):
            refuse_reserved(require_readable(value))

    # --- lookups ---------------------------------------------------------------------------
    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        if self.deterministic and lookup_name in DETERMINISTIC_LOOKUPS:
            return DETERMINISTIC_LOOKUPS[lookup_name]
        if lookup_name == "exact":
            return NoneOnlyExact
        raise FieldError(self._unsupported(f"the '{lookup_name}' lookup"))

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(self._unsupported(f"the '{lookup_name}' transform"))

    def _unsupported(self, what: str) -> str:
        supported = "exact, in and isnull" if self.deterministic else "isnull"
        return (
            f"{self.context} is encrypted, so {what} cannot be evaluated by the database. "
            f"Supported lookups: {supported}."
            + ("" if self.deterministic else " Use deterministic=True for equality lookups.")
        )


def _public_path(path: str) -> str:
    """`path` under `settings_app.fields` when it names one of this module's classes."""
    module, _, name = path.rpartition(".")
    return f"{PUBLIC_MODULE}.{name}" if module == __name__ else path


def refuse_reserved(value: str) -> None:
    """Values starting with the envelope marker are ciphertexts: refused as input, never opened."""
    if value.startswith(MARKER):
        raise ValidationError(RESERVED_MESSAGE, code="reserved")


class _DeterministicLookup(Lookup):
    """Matches the envelope of the right-hand side under every configured deterministic key."""

    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: Any) -> None:
        super().__init__(lhs, rhs)
        if hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.output_field.context} is encrypted: compare it with plain strings, "
                "not with expressions or subqueries."
            )

    def plaintexts(self) -> Iterable[Any]:
        raise NotImplementedError

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> Any:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        cipher = field.cipher()
        assert isinstance(cipher, DeterministicCipher)
        envelopes: list[str] = []
        for plaintext in self.plaintexts():
            # A reserved value is never stored, so it matches nothing (and is never opened).
            if plaintext is not None and not str(plaintext).startswith(MARKER):
                envelopes += cipher.lookup_values(field.to_python(plaintext))
        if not envelopes:
            raise EmptyResultSet
        placeholders = ", ".join(["%s"] * len(envelopes))
        return f"{lhs_sql} IN ({placeholders})", [*lhs_params, *envelopes]


class DeterministicExact(_DeterministicLookup):
    lookup_name = "exact"

    def plaintexts(self) -> Iterable[Any]:
        return [self.rhs]


class DeterministicIn(_DeterministicLookup):
    lookup_name = "in"

    def plaintexts(self) -> Iterable[Any]:
        if isinstance(self.rhs, str):
            raise FieldError("The 'in' lookup takes a list of strings, not a single string.")
        return list(self.rhs)


DETERMINISTIC_LOOKUPS = {"exact": DeterministicExact, "in": DeterministicIn}


class NoneOnlyExact(Lookup):
    """`filter(value=None)` on a randomized field: Django turns it into `isnull`."""

    lookup_name = "exact"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs is not None:  # a ciphertext never equals another encryption of the same value
            raise FieldError(lhs.output_field._unsupported("the 'exact' lookup"))
        super().__init__(lhs, rhs)


class BlindIndexField(models.CharField):
    """Keeps a keyed fingerprint of another field's plaintext, refreshed on every save.

    `bulk_update()` and `QuerySet.update()` bypass it; `manage.py reencrypt` repairs stale
    fingerprints.
    """

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", blind_index.LENGTH)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, _public_path(path), args, kwargs

    def index(self) -> blind_index.BlindIndex:
        return keyring.get_blind_index(f"{self.model._meta.label}.{self.source}")

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        plaintext = require_readable(getattr(model_instance, self.source))
        digest = None if plaintext is None else self.index().digest(plaintext)
        setattr(model_instance, self.attname, digest)
        return digest


class EncryptedQuerySet(models.QuerySet):
    """Refuses `order_by()` on an encrypted field: the database can only sort ciphertext.

    Django offers a field no hook into ordering, so models opt in with `objects =
    EncryptedManager()` (keyvault.W002 reminds those that do not); `Meta.ordering` is
    checked by keyvault.E005.
    """

    def order_by(self, *field_names: Any) -> Any:
        for item in field_names:
            _refuse_ordering_by_ciphertext(self.model, item)
        return super().order_by(*field_names)


class EncryptedManager(models.Manager.from_queryset(EncryptedQuerySet)):  # type: ignore[misc]
    """The manager for models with encrypted fields: `objects = EncryptedManager()`."""


def _refuse_ordering_by_ciphertext(model: type[models.Model], item: Any) -> None:
    name = getattr(getattr(item, "expression", item), "name", item)  # "x", F("x"), OrderBy(F)
    if not isinstance(name, str):
        return
    meta = model._meta
    for part in name.lstrip("-").split(LOOKUP_SEP):
        try:
            field = meta.get_field(part)
        except FieldDoesNotExist:
            return  # "?", "pk", annotations: Django validates those itself
        if isinstance(field, EncryptedTextField):
            raise FieldError(field._unsupported("ordering"))
        if field.related_model is None or isinstance(field.related_model, str):
            return
        meta = field.related_model._meta
