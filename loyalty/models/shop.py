"""The merchant's own settings (one row per schema): the till's limits, how staff sign in, the
company data of the portal's legal pages, and the branding of the till, the portal and the cards.

Read through the catalog (loyalty.catalog.catalog().settings) like the programs: every booking
asks for the till's limits, and saving the row tells the cache."""
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loyalty.models.programs import CatalogModel

COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour like #7a4a21."))


class ShopSettings(CatalogModel):
    """There is at most one row, pk 1; without it the defaults apply (`ShopSettings.current()`)."""

    # --- The till ---------------------------------------------------------------------------------
    # Cashiers may reverse their own bookings for this long; managers and owners any booking.
    reversal_window_minutes = models.PositiveSmallIntegerField(
        _("cashiers may reverse their own bookings for (minutes)"), default=15,
        validators=[MaxValueValidator(24 * 60)])
    # An amount in euros above this asks the cashier to confirm it ("999 for 9,99").
    plausibility_limit_cents = models.BigIntegerField(
        _("ask for a confirmation above (cents)"), default=200_00,
        validators=[MinValueValidator(1)])
    # Above this nothing is booked, confirmed or not.
    hard_maximum_cents = models.BigIntegerField(
        _("never book more than (cents)"), default=1_000_00, validators=[MinValueValidator(1)])

    # --- Signing in -------------------------------------------------------------------------------
    # Two-factor sign-in for everyone with back-office access (owners and managers always may
    # enrol). New merchants start with it required; merchants from before kept it optional.
    two_factor_required = models.BooleanField(_("require two-factor sign-in"), default=True)

    # --- Company and contact, for the portal's Impressum and privacy page ---------------------------
    legal_name = models.CharField(_("company name"), max_length=200, blank=True)
    represented_by = models.CharField(_("represented by"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    contact_email = models.EmailField(_("e-mail address"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    register_entry = models.CharField(_("commercial register entry"), max_length=200, blank=True)
    privacy_contact = models.CharField(_("privacy contact"), max_length=300, blank=True)

    # --- Branding ---------------------------------------------------------------------------------
    # A PNG re-encoded from the upload (never the uploaded bytes themselves).
    logo_png = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    primary_colour = models.CharField(_("main colour"), max_length=7, default="#7a4a21",
                                      validators=[COLOUR])
    background_colour = models.CharField(_("background colour"), max_length=7, default="#ffffff",
                                         validators=[COLOUR])
    welcome_text = models.CharField(_("welcome text"), max_length=500, blank=True)

    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("settings")
        verbose_name_plural = _("settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="shop_settings_one_row"),
            models.CheckConstraint(condition=Q(hard_maximum_cents__gte=models.F("plausibility_limit_cents")),
                                   name="shop_settings_maximum_above_limit"),
        ]

    def __str__(self):
        return str(_("settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "ShopSettings":
        """The row, or the defaults when there is none yet (not saved)."""
        return cls.objects.filter(pk=1).first() or cls()
