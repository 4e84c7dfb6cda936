"""Audit events are append-only through every ORM door."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from settings_app import audit
from settings_app.models import AppendOnlyError, AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    return audit.record(AuditAction.CREATED, setting_key="openai_api_key")


def test_saving_an_existing_event_is_refused(event: AuditEvent) -> None:
    event.setting_key = "something_else"
    with pytest.raises(AppendOnlyError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get().setting_key == "openai_api_key"


def test_a_fetched_event_cannot_be_saved_either(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.get(pk=event.pk).save()


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError, match="cannot be deleted"):
        event.delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize(
    "bulk_write",
    [
        lambda qs: qs.update(setting_key="x"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["setting_key"]),
        lambda qs: qs.bulk_create([AuditEvent(action=AuditAction.CREATED, hash="0" * 64)]),
    ],
    ids=["update", "delete", "bulk_update", "bulk_create"],
)
def test_bulk_writes_are_refused(event: AuditEvent, bulk_write) -> None:
    with pytest.raises(AppendOnlyError):
        bulk_write(AuditEvent.objects.all())
    assert list(AuditEvent.objects.values_list("setting_key", flat=True)) == ["openai_api_key"]


def test_events_are_created_only_through_record() -> None:
    with pytest.raises(AppendOnlyError, match=r"audit\.record"):
        AuditEvent(action=AuditAction.CREATED).save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.create(action=AuditAction.CREATED)


def test_deleting_a_user_keeps_their_events_and_the_chain_intact() -> None:
    user = User.objects.create_user("leaver")
    audit.record(AuditAction.UPDATED, setting_key="openai_api_key", actor=user)
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label) == (None, "leaver")
    assert audit.verify_chain().ok


def test_str_names_the_event_without_its_details(event: AuditEvent) -> None:
    assert str(event) == "Created openai_api_key by -"


def test_the_model_keeps_its_import_path_app_label_and_table() -> None:
    from settings_app import models
    from settings_app.audit import models as audit_models

    assert models.AuditEvent is audit_models.AuditEvent
    assert models.AppendOnlyError is audit_models.AppendOnlyError
    assert AuditEvent._meta.label == "settings_app.AuditEvent"
    assert AuditEvent._meta.db_table == "settings_app_auditevent"
