"""`manage.py create_service_token NAME --scope KEY [--scope ...] [--expires-in 30d]`.

Prints only the token on standard output (so `TOKEN=$(manage.py create_service_token ...)`
works) and one line of guidance on standard error.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from settings_app.api import expiry, services
from settings_app.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Create a service token that reads the given settings over the API; prints it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses it, e.g. billing-worker.")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            metavar="KEY_OR_PATTERN",
            help="A setting key or glob pattern (openai_*) it may read; repeat for more.",
        )
        parser.add_argument(
            "--write-scope",
            action="append",
            default=[],
            metavar="KEY_OR_PATTERN",
            help="A setting key or pattern it may also write over the API; repeat for more "
            "(default: none, read-only).",
        )
        parser.add_argument(
            "--expires-in",
            default=f"{expiry.DEFAULT_LIFETIME.days}d",
            metavar="DURATION",
            help="Lifetime such as 30d, 12h or 4w (default 90d; at most KEYVAULT_TOKEN_MAX_DAYS).",
        )
        parser.add_argument(
            "--allow-network",
            action="append",
            default=[],
            metavar="CIDR",
            help="Only accept it from this network (10.0.0.0/8, 2001:db8::/32); repeatable.",
        )
        parser.add_argument("--description", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = services.create_token(
                options["name"],
                options["scope"],
                lifetime=expiry.parse_duration(options["expires_in"]),
                allowed_networks=options["allow_network"],
                description=options["description"],
                write_scope=options["write_scope"],
            )
        except ValidationError as error:
            raise CommandError(_message(error)) from None
        token = created.token
        self.stderr.write(
            f"Service token {token.name!r} reads {', '.join(token.scope)}"
            + (f" and writes {', '.join(token.write_scope)}" if token.write_scope else "")
            + " until "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC. Store it now: it is never shown again."
        )
        self.stdout.write(created.secret)


def _message(error: ValidationError) -> str:
    """One line per problem, named by the option it came from."""
    options = {
        "expires_at": "--expires-in",
        "write_scope": "--write-scope",
        "allowed_networks": "--allow-network",
    }
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "\n".join(
        f"{options.get(field, '--' + field if field != 'name' else 'NAME')}: {message}"
        for field, errors in error.message_dict.items()
        for message in errors
    )
