"""How the commands print due keys, notices and re-verification runs: never a value.

Plain functions returning lines (or JSON-ready lists), so the commands only write them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..encryption.decryption_failures import REASONS, describe
from ..models import VerificationStatus
from .due import DueSetting
from .notices import NotifyReport, Outcome
from .reverify import ReverifyRun
from .wording import masked_value

# The exit status of a run that could not send a notice (1 means "keys are due"; argparse's
# usage errors are 2 as well: both are a setup to fix).
NOTICE_FAILED_STATUS = 2
NO_CHANNEL = (
    "No notice was sent: nobody is configured to receive them. Give users in the "
    "'keyvault key admins' group an e-mail address, or set KEYVAULT_NOTIFY_EMAILS or "
    "KEYVAULT_NOTIFY_WEBHOOK_URL."
)


def due_line(due: DueSetting) -> str:
    """`key (provider, mask): why - what to do; why - what to do`."""
    setting = due.setting
    reasons = "; ".join(f"{reason.message} - {reason.action}" for reason in due.reasons)
    return f"{setting.key} ({setting.provider}, {masked_value(setting)}): {reasons}"


def due_lines(found: Sequence[DueSetting]) -> list[str]:
    return [due_line(due) for due in found] or ["No keys are due."]


def due_json(found: Sequence[DueSetting]) -> list[dict[str, Any]]:
    """One object per due setting: its key, provider, mask, dates and reasons."""
    return [
        {
            "key": due.setting.key,
            "provider": due.setting.provider,
            "mask": masked_value(due.setting),
            "expires_at": _iso(due.setting.expires_at),
            "value_changed_at": _iso(due.setting.value_changed_at),
            "last_verified_at": _iso(due.setting.last_verified_at),
            "verification_status": due.setting.verification_status,
            "reasons": [
                {"code": r.code.value, "message": r.message, "action": r.action}
                for r in due.reasons
            ],
        }
        for due in found
    ]


def notice_lines(report: NotifyReport) -> list[str]:
    """One line per notice sent or failed, and how many had been sent before."""
    if not report.planned:
        return ["No notices due."]
    if not report.channels:
        return [NO_CHANNEL]
    lines = [
        f"{d.outcome.value}: {d.notice.describe()} ({d.channel})"
        + (f" - {d.error} A later run retries it." if d.error else "")
        for d in report.deliveries
        if d.outcome != Outcome.ALREADY_SENT
    ]
    already = len(report.with_outcome(Outcome.ALREADY_SENT))
    if already:
        lines.append(f"{already} notice(s) had been sent before.")
    return lines


def stale_lines(run: ReverifyRun, age: str) -> list[str]:
    """After the table: how many keys were left alone, and the notices sent."""
    lines = [f"{run.fresh} key(s) verified within {age} were left alone."]
    if run.notices is not None:
        lines += notice_lines(run.notices)
    return lines


def unreadable_lines(run: ReverifyRun) -> list[str]:
    """For standard error: each key whose value cannot be decrypted, and what to do."""
    return [
        f"{describe(setting, error)}. {REASONS[error.reason].advice}"
        for setting, error in run.unreadable
    ]


def stale_problem(run: ReverifyRun) -> tuple[str, int]:
    """Why the run fails (invalid or unreadable keys, notices not sent) and its exit status;
    ("", 0) when it does not."""
    invalid = [s.key for s, r in run.verified if r.status == VerificationStatus.INVALID]
    failed = len(run.notices.with_outcome(Outcome.FAILED)) if run.notices else 0
    problems = [
        f"{len(invalid)} invalid key(s): {', '.join(invalid)}." if invalid else "",
        f"{len(run.unreadable)} key(s) cannot be decrypted." if run.unreadable else "",
        f"{failed} notice(s) could not be sent." if failed else "",
    ]
    status = NOTICE_FAILED_STATUS if failed else 1
    return " ".join(problem for problem in problems if problem), status if any(problems) else 0


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()
