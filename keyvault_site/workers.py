"""The gunicorn worker for production: uvicorn serving keyvault_site.asgi, proxy headers off.

    gunicorn keyvault_site.asgi:application -k keyvault_site.workers.UvicornWorker -w 3

uvicorn would by default trust `X-Forwarded-For` and `X-Forwarded-Proto` from 127.0.0.1 and
rewrite the client address with them; keyvault reads the client address from
KEYVAULT_TRUSTED_PROXY_COUNT alone (settings_app/request_context/client_address.py), and HTTPS from
SECURE_PROXY_SSL_HEADER, so uvicorn's handling is switched off here, deliberately.
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",
        "http": "auto",
        "proxy_headers": False,  # the client address is KEYVAULT_TRUSTED_PROXY_COUNT's to decide
        "lifespan": "on",  # the gateway writes pending usage at shutdown
    }
