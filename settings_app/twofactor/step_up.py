"""Step-up: the dangerous admin pages need a second factor verified within the last minutes.

Reveals, service-token creation, version restore and destroy, .env imports and purges of
deleted keys are wrapped in `step_up_required` (a view decorator; `method_decorator` adapts it
to ModelAdmin methods). A user without a device (allowed by a policy) keeps the pages' own
checks, such as the reveal page's password.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .policy import needs_second_factor
from .session import verified_recently

View = Callable[..., HttpResponseBase]


def step_up_satisfied(request: HttpRequest) -> bool:
    """Whether `request` may go ahead: no second factor needed, or one passed recently."""
    return not needs_second_factor(request.user) or verified_recently(request)


def step_up_required(view: View) -> View:
    """Send a user whose second factor is older than KEYVAULT_STEP_UP_SECONDS to confirm it."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if step_up_satisfied(request):
            return view(request, *args, **kwargs)
        return step_up_redirect(request)

    return guarded


def step_up_redirect(request: HttpRequest) -> HttpResponse:
    """To the code page, then back to this page's form (a stale POST is not replayed)."""
    query = urlencode({"next": request.get_full_path(), "step_up": "1"})
    return redirect(f"{reverse('twofactor:verify')}?{query}")
