"""FormTicket: the database row behind a one-time form field, so that it can be spent only once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

SUBJECT_MAX_LENGTH = 64  # a setting's pk, or a SHA-256 in hex


class FormTicket(models.Model):
    """The one-time field of one form shown to one user, for one purpose and subject.

    Kept in the database, not the session: two tabs or two concurrent requests each carry their
    own copy of a session, and each would find the field unspent (see services.py).
    """

    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the value, never it
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=32)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    spent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "settings_app"
        default_permissions = ()  # internal state, not in the admin

    def __str__(self) -> str:
        return f"{self.purpose} form ticket of user {self.user_id}"
