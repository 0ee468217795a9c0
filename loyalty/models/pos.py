"""Pairing codes: a one-time code from the back office turns a browser into a terminal (a till)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PairingCode(models.Model):
    # A keyed hash only: the code is shown once, to the person who made it.
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    terminal_name = models.CharField(_("terminal name"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    terminal = models.OneToOneField(
        "loyalty.Terminal", on_delete=models.PROTECT, null=True, blank=True,
        related_name="pairing_code", verbose_name=_("terminal"),
    )

    class Meta:
        verbose_name = _("pairing code")
        verbose_name_plural = _("pairing codes")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, terminal__isnull=True)
                | Q(used_at__isnull=False, terminal__isnull=False),
                name="pairing_code_used_once_for_its_terminal",
            ),
        ]

    def __str__(self):
        return f"{self.terminal_name} ({self.expires_at:%Y-%m-%d %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
