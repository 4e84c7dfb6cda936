"""`manage.py revoke_service_token NAME`: the token is refused from its next request on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from settings_app.api import services
from settings_app.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Revoke a service token: every later request with it gets 401."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The token's name, as shown in the admin.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token = services.revoke_token(options["name"])
        except services.ServiceTokenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Revoked service token {token.name!r}.")
