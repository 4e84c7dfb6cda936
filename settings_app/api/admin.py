"""The "Service tokens" admin, for key admins: create a token (shown once), view, revoke.

Tokens are never edited or deleted: a wrong one is revoked and a new one created, so the list
keeps the history. The page that shows a new token answers the POST itself (the token is in no
redirect, session or cache) and is marked never-cached; the form's one-time field is spent in
the database (`settings_app.form_tickets`), so a replayed or concurrent POST shows nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from settings_app.admin_forms.change_context import ChangeContextMixin
from settings_app.form_tickets import services as form_tickets
from settings_app.reveal.views import RevealedValue
from settings_app.twofactor.step_up import step_up_required

from . import scope, service_only, services
from .forms import ServiceTokenForm
from .models import ServiceToken

REVOKE_PERMISSION = "settings_app.revoke_servicetoken"
FORM_TEMPLATE = "admin/settings_app/servicetoken/create.html"
CREATED_TEMPLATE = "admin/settings_app/servicetoken/created.html"
# Long enough to fill the form in; an older one is shown again. Several tabs may be open at once.
TOKEN_FORM_TICKET = form_tickets.Purpose("service_token_form", timedelta(hours=1))
REPLAYED = "This form was already submitted; a token is shown only once. Fill it in again."


@admin.register(ServiceToken)
class ServiceTokenAdmin(ChangeContextMixin):
    list_display = ("name", "scope_shown", "status_shown", "expires_at", "last_used", "created_by")
    list_select_related = ("created_by",)
    search_fields = ("name", "description")
    fields = (
        "name",
        "description",
        "scope_shown",
        "write_scope_shown",
        "gateway_shown",
        "daily_token_limit",
        "service_only_shown",
        "networks_shown",
        "status_shown",
        "expires_at",
        "created_at",
        "created_by",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ("revoke_selected",)

    @admin.display(description="Write scope")
    def write_scope_shown(self, token: ServiceToken) -> str:
        return ", ".join(token.write_scope) or "none (read-only)"

    @admin.display(description="Scope")
    def scope_shown(self, token: ServiceToken) -> str:
        return ", ".join(token.scope) or "none (gateway only)"

    @admin.display(description="Gateway scope")
    def gateway_shown(self, token: ServiceToken) -> str:
        return ", ".join(token.gateway_scope) or "none"

    @admin.display(description="Service-only settings it reads")
    def service_only_shown(self, token: ServiceToken) -> str:
        return ", ".join(service_only.covered_service_only(token.scope)) or "none"

    @admin.display(description="Allowed networks")
    def networks_shown(self, token: ServiceToken) -> str:
        return ", ".join(token.allowed_networks) or "any address"

    @admin.display(description="Status")
    def status_shown(self, token: ServiceToken) -> str:
        return token.status(timezone.now())

    @admin.display(description="Last used", ordering="last_used_at")
    def last_used(self, token: ServiceToken) -> str:
        if token.last_used_at is None:
            return "never"
        return f"{token.last_used_at:%Y-%m-%d %H:%M} from {token.last_used_ip or '?'}"

    # --- permissions: add and view by the model's permissions; never change or delete --------
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVOKE_PERMISSION)

    # --- creating ---------------------------------------------------------------------------
    @method_decorator(never_cache)
    @method_decorator(step_up_required)
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """GET: the form. POST: create the token and show it, once, in this very response."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return self._render_form(request, ServiceTokenForm())
        if not self._spend_once_token(request):
            return self._render_form(request, ServiceTokenForm(), error=REPLAYED)
        form = ServiceTokenForm(request.POST)
        if form.is_valid():
            try:
                created = services.create_token(**form.service_arguments(), created_by=request.user)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return self._render_created(request, created)
        return self._render_form(request, form)

    def _spend_once_token(self, request: HttpRequest) -> bool:
        return form_tickets.spend(request.POST.get("once", ""), request.user, TOKEN_FORM_TICKET)

    def _render_form(self, request: HttpRequest, form: ServiceTokenForm, error: str = "") -> Any:
        once = form_tickets.issue(request.user, TOKEN_FORM_TICKET)
        context = {**self._context(request, "New service token"), "form": form, "once": once}
        return render(request, FORM_TEMPLATE, {**context, "error": error})

    @method_decorator(sensitive_variables())  # the new token is a local here
    def _render_created(self, request: HttpRequest, created: services.CreatedToken) -> Any:
        context = {
            **self._context(request, f"Service token {created.token.name}"),
            "token": created.token,
            "secret": RevealedValue(created.secret),
            "site_root": request.build_absolute_uri("/").rstrip("/"),
            "unmatched": scope.unmatched(created.token.scope),
            "changelist_url": reverse("admin:settings_app_servicetoken_changelist"),
        }
        return render(request, CREATED_TEMPLATE, context)

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "has_view_permission": self.has_view_permission(request),
        }

    # --- revoking ---------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        revoke = self.admin_site.admin_view(require_POST(self.revoke_view))
        return [
            path("<path:object_id>/revoke/", revoke, name="settings_app_servicetoken_revoke"),
            *super().get_urls(),
        ]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST-only (admin_view adds CSRF protection): revoke one token."""
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404("No such service token.")
        self._revoke(request, token)
        return HttpResponseRedirect(reverse("admin:settings_app_servicetoken_changelist"))

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ServiceToken]) -> None:
        for token in queryset:
            self._revoke(request, token)

    def _revoke(self, request: HttpRequest, token: ServiceToken) -> None:
        try:
            services.revoke_token(token.name)
        except services.ServiceTokenError as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, f"Revoked {token.name}: it is refused from now on.")

    def change_context(self, request: HttpRequest, object_id: str) -> dict[str, Any]:
        token = self.get_object(request, unquote(object_id))
        can_revoke = token is not None and token.revoked_at is None
        return {"can_revoke": can_revoke and self.has_revoke_permission(request)}
