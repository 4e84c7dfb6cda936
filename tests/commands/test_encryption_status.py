"""manage.py encryption_status: its output, and an exit status a deploy script can trust.

The rules behind it (what is in use, what can retire, what is a problem) are specified in
tests/reencryption/test_status.py.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from settings_app.models import AuditAction, AuditEvent, Setting
from tests.support.raw_rows import insert_raw, key_id, raw_values, rotate_primary
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db


def status() -> list[str]:
    out = io.StringIO()
    call_command("encryption_status", stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def test_output(settings) -> None:
    Secret.objects.create(value="one")
    Setting.objects.create(key="openai_api_key", value="sk-proj-status-0001")
    old = key_id(raw_values("testapp_secret")[0])
    (fingerprint,) = raw_values("settings_app_setting", "value_fingerprint")
    index_key = fingerprint.split(":")[0]
    rotate_primary(settings)
    Secret.objects.create(value="two")
    current = key_id(raw_values("testapp_secret")[1])

    before = status()
    heading = f"testapp.Secret.value (randomized, current key {current})"
    first = before.index(heading)
    assert before[first : first + 3] == [
        heading,
        f"  {'current':<28} {1:>10}",
        f"  {'fallback:' + old:<28} {1:>10}",
    ]
    assert f"  {'blind index key ' + index_key:<28} {1:>10}" in before
    assert before[-3:] == [
        "Fallback keys:",
        f"  KEYVAULT_PRIMARY_KEY_FALLBACKS key {old}: still in use: run `manage.py reencrypt` "
        "before retiring it",
        "OK: every value is encrypted and readable.",
    ]

    call_command("reencrypt", stdout=io.StringIO())
    after = status()
    assert (
        f"  KEYVAULT_PRIMARY_KEY_FALLBACKS key {old}: no value uses it: it can be retired now"
        in after
    )
    assert "sk-proj-status-0001" not in "\n".join(before + after)


def test_no_fallbacks_and_no_rows() -> None:
    assert status()[-2:] == ["  none configured", "OK: every value is encrypted and readable."]


def test_plaintext_exits_non_zero_and_is_audited(settings) -> None:
    insert_raw("testapp_secret", "plain-legacy-value")
    insert_raw("testapp_secret", "another-legacy-value")
    with pytest.raises(
        CommandError, match="2 values are plaintext or cannot be decrypted"
    ) as raised:
        status()
    assert raised.value.returncode == 1
    (event,) = AuditEvent.objects.filter(action=AuditAction.STATUS_CHECKED)
    assert event.details == {"problems": 2}


def test_a_broken_key_configuration_exits_non_zero(settings) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = ["not-a-key"]
    with pytest.raises(CommandError, match="KEYVAULT_PRIMARY_KEY_FALLBACKS"):
        status()
