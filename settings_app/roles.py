"""The keyvault roles: three groups and their permissions, defined once for migrations and tests.

Superusers need no group: they hold every permission. Give people the smallest role that does
their job; only key admins can reveal a stored key or read the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth.management import create_permissions

Roles = Mapping[str, tuple[str, ...]]

VIEWERS = "keyvault viewers"
EDITORS = "keyvault editors"
KEY_ADMINS = "keyvault key admins"

# Group name -> permissions as "app_label.codename". Editors verify keys: that needs change.
ROLES: dict[str, tuple[str, ...]] = {
    VIEWERS: ("settings_app.view_setting",),
    EDITORS: (
        "settings_app.view_setting",
        "settings_app.add_setting",
        "settings_app.change_setting",
    ),
    KEY_ADMINS: (
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
    ),
}


def sync_roles(apps: Any, schema_editor: Any = None, roles: Roles | None = None) -> None:
    """Create the groups and set their permissions to exactly `roles` (default ROLES).

    `apps` is a migration's historical registry (or django.apps.apps). Permissions are created
    first, because post_migrate, which normally creates them, runs only after all migrations.
    Permissions of models an earlier migration has not created yet are left out; the migration
    that creates such a model runs this again.
    """
    _create_app_permissions(apps, "settings_app")
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, perms in (ROLES if roles is None else roles).items():
        group, _ = group_model.objects.get_or_create(name=name)
        found = (_permission(permission_model, perm) for perm in perms)
        group.permissions.set([permission for permission in found if permission is not None])


def roles_as_of(roles: Roles) -> Callable[[Any, Any], None]:
    """A RunPython function syncing the groups to `roles`, frozen as one migration knew them.

    Each migration that changes the roles passes its own copy: a permission added to ROLES
    later does not exist yet when an earlier migration runs on a fresh database.
    """
    return functools.partial(sync_roles, roles=roles)


def _create_app_permissions(apps: Any, app_label: str) -> None:
    app_config = apps.get_app_config(app_label)
    # Migration registries hold stub app configs without a models module, which
    # create_permissions takes to mean "no models" and skips.
    had_module = getattr(app_config, "models_module", None)
    app_config.models_module = had_module or True
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = had_module


def _permission(permission_model: Any, dotted: str) -> Any:
    app_label, codename = dotted.split(".", 1)
    found = permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
    return found.first()
