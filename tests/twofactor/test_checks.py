"""`manage.py check`: an unknown policy is an error, "none" a deployment warning."""

from __future__ import annotations

import pytest

from settings_app.twofactor import policy
from settings_app.twofactor.checks import check_policy, check_policy_deploy


@pytest.mark.parametrize(
    ("value", "errors", "warnings"),
    [("key_admins", [], []), ("all", [], []), ("none", [], ["keyvault.W025"]),
     ("everyone", ["keyvault.E025"], [])],
)  # fmt: skip
def test_the_checks(settings, value: str, errors: list[str], warnings: list[str]) -> None:
    settings.KEYVAULT_REQUIRE_2FA = value
    assert [m.id for m in check_policy(None)] == errors
    assert [m.id for m in check_policy_deploy(None)] == warnings


def test_an_unknown_policy_fails_closed(settings) -> None:
    settings.KEYVAULT_REQUIRE_2FA = "everyone"
    assert policy.current_policy() == policy.ALL
