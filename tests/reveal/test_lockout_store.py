"""The lockout store (django-axes' AccessAttempt) keeps counts, never what a form carried."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from settings_app.models import Setting
from tests.support.reveal_helpers import once_token

CSRF = "csrf-canary-4f1d0c9b7a2e"
GUESS = "guessed-password-canary"
REASON = "reason canary: rotating the staging worker"


def stored_attempts() -> str:
    rows = AccessAttempt.objects.values_list("get_data", "post_data")
    return "\n".join(f"{get}\n{post}" for get, post in rows)


@pytest.mark.django_db
@pytest.mark.usefixtures("password_reveals")
def test_a_wrong_reveal_password_leaves_no_reason_token_or_csrf_in_the_lockout_store(
    settings, key_admin: User, setting: Setting
) -> None:
    settings.AXES_ENABLED = True
    client = Client()
    client.force_login(key_admin)
    url = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    token = once_token(client, url)
    data = {"password": GUESS, "reason": REASON, "once": token, "csrfmiddlewaretoken": CSRF}

    client.post(url, data)

    assert AccessAttempt.objects.get().failures_since_start == 1  # the guess was counted
    stored = stored_attempts()
    for secret in (GUESS, REASON, token, CSRF):
        assert secret not in stored


@pytest.mark.django_db
def test_a_failed_login_leaves_no_password_or_csrf_in_the_lockout_store(settings) -> None:
    settings.AXES_ENABLED = True
    User.objects.create_user("kim", password="the-right-one", is_staff=True)
    data = {"username": "kim", "password": GUESS, "csrfmiddlewaretoken": CSRF}

    Client().post("/admin/login/?next=/admin/", data)

    assert AccessAttempt.objects.get().failures_since_start == 1
    stored = stored_attempts()
    assert GUESS not in stored and CSRF not in stored
