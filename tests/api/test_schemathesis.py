"""The API against its own OpenAPI schema (issue 22, item 10): schemathesis generates
valid and invalid requests for every operation the schema declares, sends them to a live
server with a real token, and runs all its checks. New operations are covered as soon as the
schema declares them: nothing here lists them.

The schema is drf-spectacular's, generated at collection as /api/v1/schema/ serves it, so that
pytest gets one test per operation (schemathesis' fixture-based loader does not run under
pytest 9).

The token may also write (issue 26), so PUT, DELETE, rollback and verify are fuzzed too; the
live server is on 127.0.0.1, a loopback address, where plain-HTTP writes are allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from settings_app.api import services
from settings_app.models import Setting
from settings_app.providers.registry import PROVIDERS

pytestmark = pytest.mark.slow

STORED = {
    "openai_api_key": "sk-proj-" + "Zq4Lm8Tv2Xc6Rb0Nw3Hd7Ja1Ke5Pu9Gs",
    "anthropic_api_key": "sk-ant-api03-" + "Hn2Vb6Xq9Lt3Mc7Rz1Wk5Jd8Pf4Gs0Ya",
    "internal.db-password": "not-a-provider-key-7Jq2Lx9Pz",
}
MAX_EXAMPLES = 60  # per operation and mode: enough to find each kind of break, quick on 2 cores
# A schema-valid value can still break a provider rule (too short, a prefix of another
# provider's keys, `$kv`...): judging values is the server's job, so a write may answer 400.
WRITE_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]
# Unknown query parameters are ignored, by design (as most APIs do): not a negative case.
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "allow-extra-parameters": True,
        },
        "operations": [
            {
                "include-operation-id": "write_setting",
                "checks": {"positive_data_acceptance": {"expected-statuses": WRITE_STATUSES}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)


_current_token: list[str] = []  # the token of the running test, for ServiceTokenAuth


@schema.auth(refresh_interval=None, retry_on=[])
class ServiceTokenAuth:
    """Sends the test's token, except where schemathesis tests what happens without one."""

    def get(self, case: Any, context: Any) -> str:
        return _current_token[-1] if _current_token else "no test is running"

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def service_token(live_server: Any, transactional_db: None, settings: Any) -> Iterator[str]:
    """Stored settings and a token that may read and write them all, on a server without a
    rate limit."""
    settings.KEYVAULT_API_RATE = "100000/minute"  # the fuzzer is not what the limit is for
    settings.KEYVAULT_API_WRITE_RATE = "100000/minute"
    for provider in PROVIDERS.values():  # verify answers "unreachable" at once, offline
        setattr(settings, provider.base_url_setting, "http://127.0.0.1:9")
    for key, value in STORED.items():
        Setting.objects.set_value(key, value)
    created = services.create_token("schemathesis", ["*"], write_scope=["*"])
    _current_token.append(created.secret)
    yield _current_token[-1]
    _current_token.clear()


@schema.parametrize()
# The fixtures hold for every example on purpose: one server, one token, the same settings.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_every_operation_keeps_to_the_schema(
    case: Any, live_server: Any, service_token: str
) -> None:
    case.call_and_validate(base_url=live_server.url)
