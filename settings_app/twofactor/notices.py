"""Every enrolment, removal, recovery-code use and reset is audited and mailed to its user."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest

from .. import audit
from ..audit.models import AuditAction, AuditSource

SUBJECTS = {
    AuditAction.SECOND_FACTOR_ADDED: "A second factor was added to your keyvault account",
    AuditAction.SECOND_FACTOR_REMOVED: "A second factor was removed from your keyvault account",
    AuditAction.RECOVERY_CODES_ISSUED: "New keyvault recovery codes were generated",
    AuditAction.RECOVERY_CODE_USED: "A keyvault recovery code was used to sign in",
    AuditAction.SECOND_FACTOR_RESET: "An operator removed your keyvault second factors",
}
FOOTER = "If this was not you, tell your keyvault administrators at once."


def announce(
    user: Any,
    action: AuditAction,
    *,
    request: HttpRequest | None = None,
    source: str = AuditSource.ADMIN,
    **details: str | int,
) -> None:
    """Audit `action` on `user`'s second factors and, after commit, mail them if they can."""
    extra: dict[str, Any] = {"user": user.get_username(), **details}
    audit.record(action, source=source, request=request, **extra)
    if user.email:
        body = _body(action, details)
        transaction.on_commit(lambda: _mail(user.email, SUBJECTS[action], body))


def _body(action: AuditAction, details: dict[str, str | int]) -> str:
    lines = [f"{SUBJECTS[action]}."]
    lines += [f"{name.replace('_', ' ').capitalize()}: {value}" for name, value in details.items()]
    return "\n".join([*lines, "", FOOTER])


def _mail(address: str, subject: str, body: str) -> None:
    # A mail server that is down must not undo a sign-in or an enrolment already recorded.
    send_mail(subject, body, None, [address], fail_silently=True)
