"""`manage.py create_service_token NAME --scope KEY [--gateway KEY] [--expires-in 30d]`.

Prints only the token on standard output (so `TOKEN=$(manage.py create_service_token ...)`
works) and one line of guidance on standard error.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from settings_app.api import expiry, services
from settings_app.api.models import ServiceToken
from settings_app.management.base import AuditedCommand


class Command(AuditedCommand):
    help = "Create a service token that reads the given settings over the API; prints it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses it, e.g. billing-worker.")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
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
            "--gateway",
            action="append",
            default=[],
            metavar="KEY_OR_PATTERN",
            help="A setting key or pattern whose provider it may call through /gateway/ without "
            "reading the key; repeat for more. --scope is optional when this is given.",
        )
        parser.add_argument(
            "--daily-token-limit",
            type=_positive_int,
            default=None,
            metavar="N",
            help="Gateway requests answer 429 once today's input + output tokens reach N.",
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
        if not options["scope"] and not options["gateway"]:
            raise CommandError(
                "Give --scope KEY (settings it may read) or --gateway KEY (providers it may call "
                "through the gateway), or both."
            )
        try:
            created = services.create_token(
                options["name"],
                options["scope"],
                lifetime=expiry.parse_duration(options["expires_in"]),
                allowed_networks=options["allow_network"],
                description=options["description"],
                gateway_scope=options["gateway"],
                daily_token_limit=options["daily_token_limit"],
                write_scope=options["write_scope"],
            )
        except ValidationError as error:
            raise CommandError(_message(error)) from None
        token = created.token
        self.stderr.write(
            f"Service token {token.name!r} {_abilities(token)} until "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC. Store it now: it is never shown again."
        )
        self.stdout.write(created.secret)


def _abilities(token: ServiceToken) -> str:
    parts = []
    if token.scope:
        parts.append(f"reads {', '.join(token.scope)}")
    if token.write_scope:
        parts.append(f"writes {', '.join(token.write_scope)}")
    if token.gateway_scope:
        parts.append(f"calls the providers of {', '.join(token.gateway_scope)} through the gateway")
    return " and ".join(parts)


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"give a whole number of tokens above 0, not {text!r}")
    return number


def _message(error: ValidationError) -> str:
    """One line per problem, named by the option it came from."""
    options = {
        "expires_at": "--expires-in",
        "allowed_networks": "--allow-network",
        "gateway_scope": "--gateway",
        "daily_token_limit": "--daily-token-limit",
        "write_scope": "--write-scope",
    }
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "\n".join(
        f"{options.get(field, '--' + field if field != 'name' else 'NAME')}: {message}"
        for field, errors in error.message_dict.items()
        for message in errors
    )
