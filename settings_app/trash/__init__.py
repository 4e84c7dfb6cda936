"""Deleted keys go to a trash for KEYVAULT_TRASH_DAYS before they are purged: one misclick in
the admin must not destroy a key and all its versions.

`services.move_to_trash(setting, actor=...)` is what every delete does (the admin,
`instance.delete()`, `QuerySet.delete()`, and any other caller); `restore()` and `purge()` undo
and finish it. While trashed, a key is absent from `Setting.objects` and so from the admin's
list, the API, `get_value` and `keyvault run`; `find_secret` and `reencrypt` still see it.
"""
