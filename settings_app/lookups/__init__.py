"""What the read paths look up, and how: cached per process, invalidated on change.

The read API, `Setting.objects.get_value` and the gateway all use these services:

- `values.py`: the per-process plaintext cache behind `Setting.objects.get_value`, dropped on
  save and, in other processes, through a change stamp in the shared cache;
- `tokens.py`: the active service token by its keyed hash, cached for a second, dropped on any
  token save in this process, its expiry checked on every use; `peek` answers a hit without I/O
  for callers on an event loop;
- `rows.py`: one-row lookups by an indexed column without the ORM's compiler.

The module names are imported directly (`from settings_app.lookups import values`): this file
imports nothing, so `settings_app.models` can use `values` without importing the token model.
"""
