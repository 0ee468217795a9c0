"""Who did what: one row per write, in the same transaction as the write."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    action = models.CharField(_("action"), max_length=60)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_terminal = models.ForeignKey(
        "loyalty.Terminal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # For writes no person made: "system:nightly", "api", …
    actor_label = models.CharField(_("actor"), max_length=100, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The address the request came from, where a person at a browser or a device made the write.
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["action", "-id"], name="audit_by_action")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
