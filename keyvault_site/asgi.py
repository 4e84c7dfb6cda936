"""ASGI entry point: the admin, the API and the gateway, served by one server (uvicorn).

`/gateway/` goes to the gateway, a plain ASGI app on the event loop (settings_app/gateway/);
everything else to Django's ASGI handler.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyvault_site.settings")

django_application = get_asgi_application()

from settings_app.gateway.server import with_gateway  # noqa: E402 (needs Django set up)

application = with_gateway(django_application)
