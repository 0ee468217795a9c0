"""The card in the phone's wallet: which passes were handed out, and which devices asked to be told
when a pass changes (Apple's pass web service)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class WalletPass(models.Model):
    """A card's wallet pass, made when the holder first downloads it. `updated_at` moves with every
    booking on the card, so a device asking "what changed since?" gets the pass again."""

    card = models.OneToOneField("loyalty.Card", on_delete=models.PROTECT, related_name="wallet_pass",
                                verbose_name=_("card"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), db_index=True)

    class Meta:
        verbose_name = _("wallet pass")
        verbose_name_plural = _("wallet passes")

    def __str__(self):
        return f"Wallet pass of card #{self.card_id}"


class WalletDevice(models.Model):
    """A phone that holds one of the merchant's passes, with the token its push messages go to."""

    device_library_id = models.CharField(max_length=100, unique=True)
    push_token = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet device")
        verbose_name_plural = _("wallet devices")

    def __str__(self):
        return f"Wallet device #{self.pk}"


class WalletRegistration(models.Model):
    """A device that asked to be told of changes to a pass."""

    device = models.ForeignKey(WalletDevice, on_delete=models.CASCADE, related_name="registrations")
    wallet_pass = models.ForeignKey(WalletPass, on_delete=models.CASCADE, related_name="registrations")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet registration")
        verbose_name_plural = _("wallet registrations")
        constraints = [models.UniqueConstraint(fields=["device", "wallet_pass"], name="wallet_registration_once")]

    def __str__(self):
        return f"Wallet registration #{self.pk}"
