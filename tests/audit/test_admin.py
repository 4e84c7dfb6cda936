"""The audit trail in the admin: key admins browse and filter it; nobody can write to it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/settings_app/auditevent/"


@pytest.fixture
def trail(key_admin: User, editor: User) -> list[AuditEvent]:
    return [
        audit.record(AuditAction.CREATED, setting_key="openai_api_key", actor=editor),
        audit.record(AuditAction.REVEALED, setting_key="openai_api_key", actor=key_admin),
        audit.record(AuditAction.VERIFIED, setting_key="groq_api_key", actor=editor),
        audit.record(AuditAction.REENCRYPTED, actor_label="manage.py reencrypt"),
    ]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> set[int]:
    return {event.pk for event in response.context["cl"].result_list}


def test_key_admins_browse_the_trail(key_admin: User, trail: list[AuditEvent]) -> None:
    response = client_for(key_admin).get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {e.pk for e in trail}
    assert "verify_audit" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("setting_key=openai_api_key", [0, 1]),
        ("action__exact=revealed", [1]),
        ("source__exact=code", [0, 1, 2, 3]),
        ("q=groq", [2]),
        ("q=reencrypt", [3]),
    ],
)
def test_key_admins_filter_the_trail(
    key_admin: User, trail: list[AuditEvent], query: str, expected: list[int]
) -> None:
    response = client_for(key_admin).get(f"{CHANGELIST}?{query}")
    assert listed(response) == {trail[i].pk for i in expected}


def test_filtering_by_actor_and_date(key_admin: User, editor: User, trail) -> None:
    client = client_for(key_admin)
    by_actor = client.get(f"{CHANGELIST}?actor__id__exact={editor.pk}")
    assert listed(by_actor) == {trail[0].pk, trail[2].pk}
    when = trail[0].created_at
    by_date = client.get(
        f"{CHANGELIST}?created_at__year={when.year}&created_at__month={when.month}&created_at__day={when.day}"
    )
    assert listed(by_date) == {e.pk for e in trail}


def test_an_event_opens_read_only(key_admin: User, trail: list[AuditEvent]) -> None:
    response = client_for(key_admin).get(f"{CHANGELIST}{trail[1].pk}/change/")
    content = response.content.decode()
    assert response.status_code == 200
    assert trail[1].hash in content
    assert 'name="_save"' not in content


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_roles_without_view_auditevent_cannot_browse(
    request: pytest.FixtureRequest, role: str, trail
) -> None:
    assert client_for(request.getfixturevalue(role)).get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("role", ["superuser", "key_admin"])
def test_nobody_can_add_change_or_delete_events(
    request: pytest.FixtureRequest, role: str, trail: list[AuditEvent]
) -> None:
    client = client_for(request.getfixturevalue(role))
    target = trail[0]
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}add/", {"action": "created"}).status_code == 403
    change = client.post(f"{CHANGELIST}{target.pk}/change/", {"setting_key": "forged"})
    assert change.status_code == 403
    assert client.get(f"{CHANGELIST}{target.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{target.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.count() == len(trail)
    assert AuditEvent.objects.get(pk=target.pk).setting_key == "openai_api_key"
    assert audit.verify_chain().ok
