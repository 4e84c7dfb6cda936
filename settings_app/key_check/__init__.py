"""The key-check record: a fixed text sealed under the keys that wrote the stored data.

With it, a changed salt or a lost key is reported as what it is ("the salt or keys differ
from those that wrote the data") instead of as every row's "unknown key id". The model is in
`models.py` (re-exported by `settings_app.models`), the checks and writes in `service.py`,
and `receivers.py` writes the record after `migrate`.
"""
