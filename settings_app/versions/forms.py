"""Admin forms of versions: the stale-write check of the change form, and the restore form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.timezone import localtime

from . import services
from .errors import VersionConflict

VERSION_FIELD = "version"
NO_VERSION = (
    "This form does not say which version of the key it was opened at, so a change made by "
    "someone else since could be overwritten. Nothing was saved: reload the page and make your "
    "change again."
)

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm
else:
    _ModelForm = object


class StaleWriteCheck(_ModelForm):
    """Mixin for the Setting change form: it carries the version it was opened at (a hidden
    field), and a save from a page opened before the value changed is refused, naming who
    changed it and when. The admin loads the setting under a row lock, so the check holds
    until the save commits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, min_value=0, initial=self.instance.version
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not self.instance._state.adding and VERSION_FIELD not in self.errors:
            self._refuse_stale_write(cleaned.get(VERSION_FIELD))
        return cleaned

    def _refuse_stale_write(self, opened_at: int | None) -> None:
        if opened_at is None:
            raise ValidationError(NO_VERSION, code="no_version")
        conflict = services.conflict_for(self.instance, opened_at)
        if conflict is not None:
            raise ValidationError(stale_message(conflict), code="stale")


def stale_message(conflict: VersionConflict) -> str:
    """The admin's words for a refused stale save."""
    when = "an unknown time"
    if conflict.changed_at is not None:
        when = date_format(localtime(conflict.changed_at), "DATETIME_FORMAT")
    return (
        f"This key was changed by {conflict.who} at {when} since you opened this page (it is "
        f"now version {conflict.current}; you opened version {conflict.expected}). Nothing was "
        "saved: reload the page to see the current key, then make your change again."
    )


class RestoreForm(forms.Form):
    """Restore one version: verify it with the provider first (on by default)."""

    verify = forms.BooleanField(
        label="Verify with the provider before restoring",
        required=False,
        initial=True,
        help_text="A version the provider now rejects is restored only after you confirm.",
    )
    opened_at = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)
