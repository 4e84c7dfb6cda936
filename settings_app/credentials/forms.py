"""The admin form's fields for a structured credential: one input per field, secrets write-only.

A blank secret keeps the stored one; a posted mask is refused, never stored. Changing any
routing field (where the secrets are sent) requires re-entering every secret in the same save:
someone who cannot reveal a secret must never be able to point it at a host of their choosing.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from settings_app.encryption.unreadable import UnreadableValue
from settings_app.providers import masking

from . import envelope
from .document import read_service_account
from .schema import Field, StructuredProvider, get_structured

if TYPE_CHECKING:
    from settings_app.admin_forms.setting import SettingForm

PREFIX = "field_"
DOCUMENT = "service_account_json"
UPLOAD = "service_account_file"
MASK_CHARACTERS = (masking.ELLIPSIS, masking.FULL_MASK[0])
MASK_POSTED = (
    "This is the masked value shown on the page, not the secret: paste the real secret, or "
    "leave the field blank to keep the stored one."
)
KEEP_SECRET_HELP = "Write-only. Leave blank to keep the stored secret."  # noqa: S105


def routing_message(changed: list[str], missing: list[str]) -> str:
    return (
        f"You changed {', '.join(changed)}, which decides where the secrets are sent: enter "
        f"{', '.join(missing)} again in this save. A stored secret is never sent to a new "
        "destination by someone who has not typed it."
    )


if TYPE_CHECKING:
    _SettingForm = SettingForm
else:
    _SettingForm = object


# Providers whose key stays the form's one value, with optional extra fields beside it.
EXTRAS_ONLY = {"openai": ("organization", "project")}


class KeyWithExtras(_SettingForm):
    """Mixed into the Setting form for OpenAI: the key stays the one value input; with an
    organization or project it is stored as a credential, without them as a plain key."""

    provider_spec: StructuredProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.stored_envelope
        for name in EXTRAS_ONLY[self.provider_spec.slug]:
            if stored is not None and PREFIX + name in self.fields:
                self.initial[PREFIX + name] = stored.config.get(name, "")

    @functools.cached_property
    def stored_envelope(self) -> envelope.Envelope | None:
        value = None if self.is_adding else self.instance.value
        return envelope.loads(value) if envelope.is_envelope(value) else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or cleaned.get("provider") != self.provider_spec.slug:
            return cleaned
        extras = {n: cleaned.get(PREFIX + n) or "" for n in EXTRAS_ONLY[self.provider_spec.slug]}
        key = cleaned.get("value") or self._stored_key()
        if key and (any(extras.values()) or self.stored_envelope is not None):
            self._store(cleaned, key, extras)
        return cleaned

    def _stored_key(self) -> str:
        stored = self.stored_envelope
        return stored.secrets["api_key"] if stored is not None else ""

    def _store(self, cleaned: dict[str, Any], key: str, extras: dict[str, str]) -> None:
        """The key with its extras as a credential, or as the plain key when none is left."""
        if not any(extras.values()):
            cleaned["value"] = key
            return
        try:
            built = envelope.build(self.provider_spec.slug, {"api_key": key, **extras})
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                target = PREFIX + name if PREFIX + name in self.fields else "value"
                self.add_error(target if target in self.fields else None, errors)
            return
        cleaned["value"] = built.dumps()


class CredentialFields(_SettingForm):
    """Mixed into the Setting form (`admin_forms.setting.credential_form`) for one structured
    provider: its fields replace the one-string value input."""

    provider_spec: StructuredProvider
    holds_one_value = False  # SettingForm's one-value rules do not apply
    value = None  # the one-string input gives way to the fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.stored_envelope
        for spec in self.provider_spec.fields:
            name = PREFIX + spec.name
            if name in self.fields and stored is not None and not spec.is_secret:
                self.initial[name] = stored.config.get(spec.name, "")
            if name in self.fields and spec.is_secret and stored is not None:
                self.fields[name].help_text = KEEP_SECRET_HELP
        if "provider" in self.fields and not self.is_adding:
            self.fields["provider"].disabled = True  # a credential stays with its provider

    @functools.cached_property
    def stored_envelope(self) -> envelope.Envelope | None:
        value = None if self.is_adding else self.instance.value
        if isinstance(value, UnreadableValue) or not envelope.is_envelope(value):
            return None
        return envelope.loads(value)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_unreadable()
        posted, typed = self._posted_fields(cleaned)
        if self.errors:
            return cleaned
        values = self._with_kept_secrets(posted)
        self._check_routing(values, typed)
        try:
            built = envelope.build(self.provider_spec.slug, values)
        except ValidationError as error:
            self._add_field_errors(error)
            return cleaned
        self.instance.value = built.dumps()
        return cleaned

    def _post_clean(self) -> None:
        if self.errors:
            return  # no credential was built: the model has no value to validate, nor to save
        super()._post_clean()  # type: ignore[misc]

    def _check_unreadable(self) -> None:
        if not self.is_adding and isinstance(self.instance.value, UnreadableValue):
            raise ValidationError(
                "The stored credential cannot be decrypted: enter every field again, or delete it.",
                code="unreadable",
            )

    def _posted_fields(self, cleaned: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
        """Field values as posted (documents read) and the names of secrets typed in."""
        posted = {s.name: cleaned.get(PREFIX + s.name) or "" for s in self.provider_spec.fields}
        posted = {name: value for name, value in posted.items() if name in self._shown_names}
        posted.update(self._document_fields(cleaned))
        typed = {s.name for s in self.provider_spec.fields if s.is_secret and posted.get(s.name)}
        for name in typed:
            if any(mark in posted[name] for mark in MASK_CHARACTERS):
                self.add_error(
                    PREFIX + name if PREFIX + name in self.fields else None,
                    ValidationError(MASK_POSTED, code="mask_posted"),
                )
        return posted, typed

    @property
    def _shown_names(self) -> set[str]:
        return {name.removeprefix(PREFIX) for name in self.fields if name.startswith(PREFIX)}

    def _document_fields(self, cleaned: dict[str, Any]) -> dict[str, str]:
        if not self.provider_spec.takes_document:
            return {}
        upload = cleaned.get(UPLOAD)
        text = upload.read().decode("utf-8", "replace") if upload else cleaned.get(DOCUMENT, "")
        if not text:
            return {}
        try:
            return read_service_account(text.strip())  # only the ends: the PEM stays as it is
        except ValidationError as error:
            self.add_error(DOCUMENT, error)
            return {}

    def _with_kept_secrets(self, posted: dict[str, str]) -> dict[str, str]:
        """`posted` with the stored secrets left blank, those of the shape being filled in
        (typing an Entra client secret switches an Azure key credential to Entra ID)."""
        stored = self.stored_envelope
        if stored is None:
            return posted
        kept = dict(posted)
        if self.provider_spec.takes_document and not posted.get("private_key"):
            kept.update({k: v for k, v in stored.config.items() if k not in self._shown_names})
        typed = {n for n in self.provider_spec.secret_names if posted.get(n)}
        shapes = [s for s in self.provider_spec.shapes if typed <= set(s.names)]
        allowed = {name for shape in shapes for name in shape.names}
        for name, secret in stored.secrets.items():
            if not posted.get(name) and name in allowed:
                kept[name] = secret
        return kept

    def _check_routing(self, values: dict[str, str], typed: set[str]) -> None:
        stored = self.stored_envelope
        if stored is None:
            return
        changed = [
            self.provider_spec.field(name).label.lower()
            for name in self.provider_spec.routing_names
            if values.get(name, "") != stored.fields.get(name, "")
        ]
        needed = [name for name in self.provider_spec.secret_names if values.get(name)]
        missing = [self.provider_spec.field(n).label.lower() for n in needed if n not in typed]
        if changed and missing:
            raise ValidationError(routing_message(changed, missing), code="routing_changed")

    def _add_field_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            target = PREFIX + name if PREFIX + name in self.fields else None
            if target is None and self.provider_spec.takes_document and name != "location":
                target = DOCUMENT
            self.add_error(target, errors)


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that never renders a value: a re-rendered form must not echo a secret."""

    def format_value(self, value: Any) -> None:
        return None


def form_field(spec: Field) -> forms.Field:
    if spec.is_secret:
        widget = forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "size": 60}
        )
        return forms.CharField(label=spec.label, required=False, strip=True, widget=widget)
    return forms.CharField(label=spec.label, required=False, strip=True, help_text=spec.help)


def field_names(slug: str) -> list[str]:
    """The form fields shown for provider `slug`, in order."""
    spec = get_structured(slug)
    assert spec is not None
    if slug in EXTRAS_ONLY:
        return ["value", *(PREFIX + name for name in EXTRAS_ONLY[slug])]
    if spec.takes_document:
        return [DOCUMENT, UPLOAD, PREFIX + "location"]
    return [PREFIX + field.name for field in spec.fields]


def declared_fields(slug: str) -> dict[str, Any]:
    """The form fields of provider `slug`'s credential, by name, and its registry entry."""
    spec = get_structured(slug)
    assert spec is not None
    shown = set(field_names(slug))
    declared: dict[str, Any] = {
        PREFIX + f.name: form_field(f) for f in spec.fields if PREFIX + f.name in shown
    }
    if spec.takes_document:
        declared[DOCUMENT] = forms.CharField(
            label="Service-account JSON",
            required=False,
            strip=False,
            widget=WriteOnlyTextarea(attrs={"rows": 8, "cols": 80, "spellcheck": "false"}),
            help_text="Paste the key file, or upload it below. Write-only: leave blank to "
            "keep the stored one.",
        )
        declared[UPLOAD] = forms.FileField(label="or upload it", required=False)
    declared["provider_spec"] = spec
    return declared
