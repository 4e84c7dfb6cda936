"""UnreadableValue: what an encrypted field holds when its stored value cannot be decrypted.

The ORM converter returns it instead of raising, so one bad row never takes down a query (the
admin list, a delete, `verify_settings`). It can be listed, deleted and replaced, but never used
as a value: `str()`, formatting, truth tests, `len()`, concatenation and every string method
raise the `DecryptionError` that made it, and `repr()` names only the reason. It holds the
error's fields, never the ciphertext, so it cannot leak what it stands for.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from .. import metrics
from ..crypto import DecryptionError, DecryptionReason

_T = TypeVar("_T")
_STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))


class UnreadableValue:
    """A stored value that could not be decrypted: its reason, field and key id, and nothing
    else. Deliberately not a `str` subclass: code that expects text fails loudly."""

    __slots__ = ("advice", "context", "key_id", "problem", "reason")

    def __init__(self, error: DecryptionError) -> None:
        self.reason: DecryptionReason = error.reason
        metrics.record_decryption_failure(error.reason.value)
        self.context = error.context
        self.key_id = error.key_id
        self.problem = error.problem
        self.advice = error.advice

    @property
    def error(self) -> DecryptionError:
        """A fresh copy of the error that made this value (each raise gets its own traceback)."""
        return DecryptionError(
            self.problem,
            reason=self.reason,
            context=self.context,
            key_id=self.key_id,
            advice=self.advice,
        )

    def __repr__(self) -> str:
        return f"<UnreadableValue: {self.reason.value}>"

    def _refuse(self, *args: Any) -> NoReturn:
        raise self.error

    __str__ = __format__ = __bool__ = __len__ = __iter__ = __contains__ = _refuse
    __add__ = __radd__ = __mul__ = __mod__ = __getitem__ = __bytes__ = _refuse

    def __getattr__(self, name: str) -> Any:
        if name in _STR_METHODS:  # value.encode(), value.startswith(...): used as text
            raise self.error
        raise AttributeError(name)


def require_readable(value: _T | UnreadableValue) -> _T:
    """`value` itself, unless it is unreadable: then its DecryptionError is raised."""
    if isinstance(value, UnreadableValue):
        raise value.error
    return value
