"""Behind KEYVAULT_TRUSTED_PROXY_COUNT proxies, lockouts and the audit trail see the client.

Each proxy appends the address it received the request from to X-Forwarded-For (nginx's
`$proxy_add_x_forwarded_for`), and the app sees the innermost proxy as REMOTE_ADDR. An attacker
can write anything to the left of what our proxies append.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from settings_app.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "the-right-password-for-kim"
CLIENT_A, CLIENT_B = "203.0.113.9", "198.51.100.23"
VALUE = "sk-proj-proxy-Q8s7d6f5g4h3j2k1"
FORGED = "192.0.2.66"  # what an attacker writes into X-Forwarded-For himself


def behind(proxies: int, client: str, forged: str = "") -> Client:
    """A browser at `client` reaching the app through `proxies` proxies (10.0.0.1 outermost)."""
    if proxies == 0:
        return Client(REMOTE_ADDR=client, HTTP_X_FORWARDED_FOR=forged)
    hops = [f"10.0.0.{n}" for n in range(1, proxies + 1)]
    forwarded = [*([forged] if forged else []), client, *hops[:-1]]
    return Client(REMOTE_ADDR=hops[-1], HTTP_X_FORWARDED_FOR=", ".join(forwarded))


def log_in(client: Client, password: str) -> bool:
    response = client.post("/admin/login/?next=/admin/", {"username": "kim", "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.fixture
def kim(settings) -> User:
    settings.AXES_ENABLED = True
    return User.objects.create_user("kim", password=PASSWORD, is_staff=True)


def lock_out_from(client: Client, limit: int) -> None:
    for _ in range(limit):
        assert not log_in(client, "a-wrong-guess")


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_a_lockout_from_one_client_does_not_lock_the_user_out_elsewhere(
    settings, kim: User, proxies: int
) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = proxies
    lock_out_from(behind(proxies, CLIENT_A, forged=FORGED), settings.AXES_FAILURE_LIMIT)

    assert not log_in(behind(proxies, CLIENT_A), PASSWORD)  # the attacker's address is locked
    assert log_in(behind(proxies, CLIENT_B), PASSWORD)  # kim, elsewhere, is not
    (locked,) = AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT)
    assert locked.ip == CLIENT_A


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_the_audit_trail_records_the_clients_address(settings, proxies: int) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = proxies
    admin = User.objects.create_superuser("root", "", PASSWORD)
    client = behind(proxies, CLIENT_B, forged=FORGED)
    client.force_login(admin)
    data = {"key": "openai_api_key", "provider": "openai", "value": VALUE, "description": ""}
    assert client.post("/admin/settings_app/setting/add/", data).status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.CREATED).ip == CLIENT_B


def test_without_a_trusted_proxy_a_forged_header_changes_nothing(settings, kim: User) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):  # a new forged address on every guess
        assert not log_in(behind(0, CLIENT_A, forged=f"192.0.2.{n + 1}"), "a-wrong-guess")

    assert not log_in(behind(0, CLIENT_A, forged=CLIENT_B), PASSWORD)
    (locked,) = AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT)
    assert locked.ip == CLIENT_A
    assert log_in(behind(0, CLIENT_B), PASSWORD)
