"""The operator's audit log (public schema), in the manner of Zulip's RealmAuditLog: who did what,
when, to which merchant, and the state before and after. One row per operator write, append-only."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OperatorAuditLog(models.Model):
    action = models.CharField(_("action"), max_length=60)
    # A member of the operator's staff, or none: then `actor_label` names the system's job.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    actor_label = models.CharField(_("by"), max_length=100, blank=True)
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="operator_audit_log", verbose_name=_("merchant"))
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("operator audit log entry")
        verbose_name_plural = _("operator audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["merchant", "-id"], name="operator_audit_by_merchant")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
