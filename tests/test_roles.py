"""The keyvault groups exist after migrating, with exactly their documented permissions."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from settings_app import roles

pytestmark = pytest.mark.django_db


def permissions_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_the_migration_created_the_three_groups() -> None:
    assert {name: permissions_of(name) for name in roles.ROLES} == {
        "keyvault viewers": {"settings_app.view_setting"},
        "keyvault editors": {
            "settings_app.view_setting",
            "settings_app.add_setting",
            "settings_app.change_setting",
        },
        "keyvault key admins": {
            "settings_app.view_setting",
            "settings_app.add_setting",
            "settings_app.change_setting",
            "settings_app.delete_setting",
            "settings_app.reveal_setting",
            "settings_app.rollback_setting",
            "settings_app.view_auditevent",
            "settings_app.view_servicetoken",
            "settings_app.add_servicetoken",
            "settings_app.revoke_servicetoken",
            "settings_app.view_gatewayusage",
        },
    }


def test_only_key_admins_may_reveal_or_read_the_trail() -> None:
    for name in (roles.VIEWERS, roles.EDITORS):
        assert not permissions_of(name) & {
            "settings_app.reveal_setting",
            "settings_app.view_auditevent",
        }


def test_syncing_again_restores_exactly_the_definitions() -> None:
    viewers = Group.objects.get(name=roles.VIEWERS)
    viewers.permissions.add(Permission.objects.get(codename="reveal_setting"))
    roles.sync_roles(apps)
    assert permissions_of(roles.VIEWERS) == {"settings_app.view_setting"}
    assert Group.objects.filter(name__startswith="keyvault ").count() == 3


def test_audit_events_have_no_add_change_or_delete_permissions() -> None:
    codenames = set(
        Permission.objects.filter(content_type__model="auditevent").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {"view_auditevent"}
