"""Reminders to cardholders that points are about to expire, sent once per account and day."""
from django.db import models


class ExpiryReminder(models.Model):
    account = models.ForeignKey("loyalty.Account", on_delete=models.PROTECT, related_name="+")
    expires_on = models.DateField()
    points = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "expires_on"], name="reminder_once_per_expiry"),
        ]

    def __str__(self):
        return f"{self.points} until {self.expires_on}"
