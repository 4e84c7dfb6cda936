"""find_secret matches a value exactly as it is stored: trimmed at the ends, nothing more."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from settings_app.models import Setting

pytestmark = pytest.mark.django_db

PASSPHRASE = "correct horse\nbattery staple"


def find(secret: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(secret))
    out = io.StringIO()
    call_command("find_secret", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_value_with_inner_whitespace_is_found_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="passphrase", value=PASSPHRASE, provider="other")

    assert "passphrase" in find(f"  {PASSPHRASE}\n", monkeypatch)


def test_inner_whitespace_is_part_of_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="passphrase", value=PASSPHRASE, provider="other")

    with pytest.raises(CommandError, match="No setting holds this value"):
        find("".join(PASSPHRASE.split()), monkeypatch)
