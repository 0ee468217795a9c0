"""A merchant's customer cards."""
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from loyalty.cardnumbers import card_number_is_valid


def validate_card_number(number: str) -> None:
    if not card_number_is_valid(number):
        raise ValidationError(_("This is not a valid card number."), code="card_number_invalid")


class Card(models.Model):
    class Status(models.TextChoices):
        UNISSUED = "unissued", _("not issued yet")
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")
        REPLACED = "replaced", _("replaced")

    number = models.CharField(
        _("card number"), max_length=13, unique=True, validators=[validate_card_number]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.UNISSUED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["number"]

    def __str__(self):
        return self.number
