"""Who asked for the statistics as a monthly PDF report by e-mail."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatisticsReportSubscription(models.Model):
    """An owner or manager who receives the statistics of every past month as a PDF by e-mail,
    in the language they asked in. `last_sent_month` (the first day of the month last sent) makes
    sending idempotent: a month is claimed by a conditional UPDATE before its mail goes out."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("staff member"))
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="de")
    last_sent_month = models.DateField(_("last month sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("monthly report subscription")
        verbose_name_plural = _("monthly report subscriptions")

    def __str__(self):
        return f"Monthly report for user #{self.user_id}"
