"""A primary key swapped with its fallback silently reverses a rotation; encryption_status warns.

Swapped after `reencrypt`, most values sit under a fallback and `reencrypt` would move them all
back to the old key. Swapped before it, nothing looks wrong at all: the values are under the
"primary" and the new key looks retirable. The rotation's audit event tells the two apart from
a rotation that simply has not been re-encrypted yet.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from settings_app import reencryption
from settings_app.encryption.key_advice import DETERMINISTIC, DETERMINISTIC_FALLBACKS, PRIMARY
from tests.support.keys import TEST_KEYS, fake_key
from tests.support.raw_rows import key_id, raw_values, rotate_deterministic, rotate_primary
from tests.testapp.models import Secret, Token

pytestmark = pytest.mark.django_db

NEW_PRIMARY = fake_key("primary-next")  # what rotate_primary() makes current


def run_status() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("encryption_status", stdout=out, stderr=err)  # exit 0: a warning, not an error
    return out.getvalue(), err.getvalue()


def reencrypt_all() -> None:
    reencryption.reencrypt(reencryption.encrypted_models())


def rotate_with_init_encryption(settings) -> str:
    """`init_encryption --rotate` (which audits the new key id); returns the new primary key."""
    out = io.StringIO()
    call_command("init_encryption", "--rotate", stdout=out, stderr=io.StringIO())
    values = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
    return values[PRIMARY]


def test_swapped_after_reencrypt_is_warned(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(5))
    rotate_primary(settings)
    reencrypt_all()
    new_id = key_id(raw_values("testapp_secret")[0])
    settings.KEYVAULT_PRIMARY_KEY = TEST_KEYS["primary"]  # the swap
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [NEW_PRIMARY]

    (swap,) = reencryption.encryption_status().swaps
    assert (swap.variable, swap.fallback_key_id, swap.fallback_uses) == (PRIMARY, new_id, 5)
    _, err = run_status()
    assert f"Warning: most values (5 of 5) are under fallback key {new_id}" in err
    assert "swapped" in err and "reencrypt" in err


def test_swapped_right_after_init_encryption_rotate_is_warned(settings) -> None:
    """Nothing is under the fallback yet: only the rotation's audit event shows the swap."""
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    new_primary = rotate_with_init_encryption(settings)
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [new_primary]  # the new key, as a fallback
    new_id = reencryption.encryption_status().fallbacks[0].key_id

    (swap,) = reencryption.encryption_status().swaps
    assert (swap.fallback_key_id, swap.rotated_to, swap.fallback_uses) == (new_id, new_id, 0)
    _, err = run_status()
    assert f"`init_encryption --rotate` made key {new_id} the new key" in err
    assert f"Put key {new_id} back in {PRIMARY}" in err


def test_a_rotation_not_yet_reencrypted_is_not_a_swap(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    new_primary = rotate_with_init_encryption(settings)
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = new_primary  # configured as init_encryption said

    status = reencryption.encryption_status()
    assert status.fallbacks_in_use and status.swaps == []
    assert "Warning" not in run_status()[1]


def test_without_a_rotation_event_most_values_under_a_fallback_is_worth_a_warning(
    settings,
) -> None:
    """A rotation done by hand leaves no event: say what is expected and what is not."""
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(3))
    rotate_primary(settings)
    Secret.objects.create(value="written under the new key")
    (swap,) = reencryption.encryption_status().swaps
    assert (swap.fallback_uses, swap.total, swap.rotated_to) == (3, 4, None)
    assert "expected until `manage.py reencrypt` has run" in swap.message


def test_a_minority_under_a_fallback_is_not_warned(settings) -> None:
    Secret.objects.bulk_create(Secret(value=f"v{n}") for n in range(2))
    rotate_primary(settings)
    Secret.objects.bulk_create(Secret(value=f"w{n}") for n in range(3))
    assert reencryption.encryption_status().swaps == []


def test_steady_state_has_no_warning() -> None:
    Secret.objects.create(value="v")
    Token.objects.create(token="t")
    assert reencryption.encryption_status().swaps == []
    assert "Warning" not in run_status()[1]


def test_a_swapped_deterministic_key_is_warned(settings) -> None:
    Token.objects.bulk_create(Token(token=f"t{n}") for n in range(4))
    rotate_deterministic(settings)
    reencrypt_all()
    settings.KEYVAULT_DETERMINISTIC_KEY = TEST_KEYS["deterministic"]
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [fake_key("deterministic-next")]
    (swap,) = reencryption.encryption_status().swaps
    assert (swap.variable, swap.fallback_variable) == (DETERMINISTIC, DETERMINISTIC_FALLBACKS)
    assert swap.fallback_uses == 4
