"""A reveal's one-time token works exactly once, for concurrent requests and across processes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from settings_app.models import AuditAction, AuditEvent, Setting
from tests.support.cpu_load import busy_cpus
from tests.support.processes import database_env, run_together, shell
from tests.support.reveal_helpers import once_token
from tests.support.role_users import PASSWORD, SECRET

REASON = "Racing six requests at once"


def reveal_url(setting: Setting) -> str:
    return f"/admin/settings_app/setting/{setting.pk}/reveal/"


@pytest.mark.django_db
def test_a_request_that_read_the_session_before_the_first_one_wrote_it_reveals_nothing(
    key_admin: User, setting: Setting
) -> None:
    """The race, one step at a time: the second request loaded the session (token and all)
    before the first one saved it, as concurrent requests of one browser do."""
    client = Client()
    client.force_login(key_admin)
    data = {"password": PASSWORD, "reason": REASON, "once": once_token(client, reveal_url(setting))}
    seen_by_the_second_request = dict(client.session.items())

    first = client.post(reveal_url(setting), data)
    session = client.session
    session.clear()
    session.update(seen_by_the_second_request)
    session.save()
    second = client.post(reveal_url(setting), data)

    assert SECRET in first.content.decode()
    assert SECRET not in second.content.decode()
    assert "already used" in second.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REVEALED).count() == 1


@pytest.mark.django_db
def test_a_token_belongs_to_the_user_it_was_shown_to(
    key_admin: User, superuser: User, setting: Setting
) -> None:
    owner, other = Client(), Client()
    owner.force_login(key_admin)
    other.force_login(superuser)
    data = {"password": PASSWORD, "reason": REASON, "once": once_token(owner, reveal_url(setting))}
    assert SECRET not in other.post(reveal_url(setting), data).content.decode()
    assert SECRET in owner.post(reveal_url(setting), data).content.decode()


@pytest.mark.django_db
def test_a_token_belongs_to_the_setting_it_was_shown_for(key_admin: User, setting: Setting) -> None:
    other = Setting.objects.create(key="other_key", value=SECRET + "-other", provider="openai")
    client = Client()
    client.force_login(key_admin)
    data = {"password": PASSWORD, "reason": REASON, "once": once_token(client, reveal_url(setting))}
    refused = client.post(reveal_url(other), data).content.decode()
    assert SECRET not in refused and "already used" in refused
    assert SECRET in client.post(reveal_url(setting), data).content.decode()


@pytest.mark.django_db
def test_a_new_form_for_a_setting_closes_the_earlier_one(key_admin: User, setting: Setting) -> None:
    client = Client()
    client.force_login(key_admin)
    earlier = once_token(client, reveal_url(setting))
    once_token(client, reveal_url(setting))  # the form shown again, in another tab
    data = {"password": PASSWORD, "reason": REASON}
    refused = client.post(reveal_url(setting), {**data, "once": earlier})
    assert SECRET not in refused.content.decode() and "already used" in refused.content.decode()
    shown = client.post(reveal_url(setting), {**data, "once": refused.context["once"]})
    assert SECRET in shown.content.decode()


SHOW_THE_FORM = """
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
from settings_app.models import Setting
from tests.support.reveal_helpers import once_token
from tests.support.role_users import SECRET, make_user
from tests.support.second_factor import verify_session
setup_test_environment()
from django.contrib.auth.models import User
user = User.objects.filter(username="root").first() or make_user("root", is_superuser=True)
setting = Setting.objects.filter(key="openai_api_key").first() or Setting.objects.create(
    key="openai_api_key", value=SECRET, provider="openai"
)
client = Client()
client.force_login(user)
verify_session(client, user)  # the second factor a superuser passes (the suite's fixture)
url = f"/admin/settings_app/setting/{setting.pk}/reveal/"
print(client.cookies[settings.SESSION_COOKIE_NAME].value, url, once_token(client, url))
"""
POST_THE_FORM = f"""
import os
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
from tests.support.processes import start_line
from tests.support.role_users import PASSWORD, SECRET
setup_test_environment()
session, url, token = os.environ["KV_REVEAL_FORM"].split()
client = Client()
client.cookies[settings.SESSION_COOKIE_NAME] = session
data = {{"password": PASSWORD, "reason": "{REASON}", "once": token}}
start_line()
response = client.post(url, data)
print("SHOWN" if SECRET in response.content.decode() else f"REFUSED-{{response.status_code}}")
"""
REVEAL_EVENTS = """
from settings_app.models import AuditEvent
events = AuditEvent.objects.filter(action__startswith="reveal").order_by("sequence")
print(" ".join(f"{e.action}:{e.details.get('result', '')}" for e in events))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_six_processes_posting_one_token_at_once_reveal_exactly_once(
    tmp_path, race_rounds: int
) -> None:
    """Six workers (as gunicorn runs them) get the same POST at the same moment, on a machine
    kept busy by two CPU-bound processes (`--race-rounds 20` repeats it)."""
    env = database_env(tmp_path)
    with busy_cpus():
        for done in range(1, race_rounds + 1):
            form = shell(SHOW_THE_FORM, env).strip().splitlines()[-1]
            outputs = run_together(POST_THE_FORM, {**env, "KV_REVEAL_FORM": form}, 6, tmp_path)
            results = sorted(output.strip().splitlines()[-1] for output in outputs)
            assert results == ["REFUSED-200"] * 5 + ["SHOWN"], f"round {done}"
    events = shell(REVEAL_EVENTS, env).strip().splitlines()[-1].split()
    assert (
        sorted(events)
        == ["reveal_refused:replayed"] * 5 * race_rounds + ["revealed:"] * race_rounds
    )
