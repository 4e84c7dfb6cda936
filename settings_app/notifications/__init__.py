"""Expiry and rotation reminders: which keys are due and why, and the notices that say so.

Inside the package: `due.py` (which keys need attention, and why: a service over settings and
time), `policy.py` (the rotation and verification policy, read from settings at call time),
`models.py` (Notice: one row per notice sent, whose unique constraint makes a notice go out
once), `notices.py` (planning, claiming and recording notices), `wording.py` (what a notice
says: never a value, only the mask), `channels.py` (e-mail and the signed webhook),
`reverify.py` (re-verifying stale keys, a few at a time, with httpx's async client),
`report.py` (what the commands print), `admin.py` (the due banner, the "Due" filter, a key's
age) and `checks.py`.

The commands are `manage.py check_keys` and `manage.py verify_settings --stale`. This module
imports nothing, so `settings_app.models` can re-export Notice without an import cycle.
"""
