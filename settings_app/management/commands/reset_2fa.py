"""`manage.py reset_2fa USERNAME --reason TEXT`: remove a user's second factors (a lost phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from settings_app.twofactor.devices import DeviceError, reset_second_factors


class Command(BaseCommand):
    help = (
        "Remove every second factor of a user, who then enrols again at their next sign-in. "
        "The reason is kept in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit trail).")

    def handle(self, *args: Any, **options: Any) -> None:
        reason = options["reason"].strip()
        if len(reason) < 10:
            raise CommandError("Give a --reason of at least 10 characters; it is audited.")
        try:
            removed = reset_second_factors(options["username"], reason)
        except DeviceError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Removed {removed} second factor(s) of {options['username']}. They enrol again at "
            "their next sign-in."
        )
