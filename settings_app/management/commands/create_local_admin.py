"""`manage.py create_local_admin`: a first superuser for a local instance, password shown once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create a local superuser with a random password, unless a superuser exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser already exists; no account created.")
            return
        password = secrets.token_urlsafe(16)
        users.objects.create_superuser(options["username"], "", password)
        self.stdout.write(
            f"Created superuser {options['username']!r} with password {password}\n"
            "It is shown only this once: note it now (change it in the admin). The first sign-in "
            "asks for a second factor: have an authenticator app ready."
        )
