"""Card programs of four kinds in one table; behaviour per kind lives in loyalty.programs.

Programs, rewards and bonus actions are read from a cache per merchant on every booking
(loyalty.catalog); saving or deleting one tells the cache. A queryset's update() does not: use
save(), or call catalog_changed() after it."""
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loyalty.catalog import catalog_changed
from loyalty.programs import program_kinds


class CatalogModel(models.Model):
    """A row of the catalog that every booking reads from the cache: each write tells the cache."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        catalog_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        catalog_changed()
        return result


class Program(CatalogModel):
    class Kind(models.TextChoices):
        """The kinds that come with Stammkunde, for code that names one. The choices of `kind` are
        every behaviour in loyalty.programs (a kind added there is one too)."""

        POINTS = "points", _("bonus points")
        PREPAID = "prepaid", _("prepaid balance")
        STAMPS = "stamps", _("stamp card")
        VOUCHER = "voucher", _("voucher / gift card")

    class Rounding(models.TextChoices):
        DOWN = "down", _("round down")
        HALF_UP = "half_up", _("round half up")
        UP = "up", _("round up")

    class VoucherPurpose(models.TextChoices):
        # §3 Abs. 14 and 15 UStG: VAT of a single-purpose voucher is due when it is sold, of a
        # multi-purpose one when it is redeemed.
        MULTI = "multi", _("multi-purpose voucher (Mehrzweckgutschein)")
        SINGLE = "single", _("single-purpose voucher (Einzweckgutschein)")

    class Expiry(models.TextChoices):
        NEVER = "never", _("never")
        ROLLING_MONTHS = "rolling_months", _("a number of months after they were earned")
        YEAR_END = "year_end", _("at the end of a year")

    kind = models.CharField(_("kind"), max_length=10, choices=program_kinds)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    # Points: how many per euro of purchase, how fractions are rounded, when lots expire.
    points_per_euro = models.DecimalField(
        _("points per euro"), max_digits=7, decimal_places=3, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    rounding = models.CharField(_("rounding"), max_length=10, choices=Rounding, default=Rounding.DOWN)
    expiry = models.CharField(_("points expire"), max_length=20, choices=Expiry, default=Expiry.NEVER)
    expiry_months = models.PositiveSmallIntegerField(
        _("expiry after months"), default=24,
        help_text=_("For rolling expiry: points expire this many months after they were earned."),
    )
    expiry_years = models.PositiveSmallIntegerField(
        _("expiry after years"), default=1,
        help_text=_("For expiry at a year's end: 0 is the end of the year they were earned, "
                    "1 the end of the following year, and so on."),
    )
    # Days before points expire that the cardholder is reminded (with an e-mail address).
    reminder_days = models.PositiveSmallIntegerField(_("reminder before expiry (days)"), default=30)

    # Prepaid: upper limits, in cents; none when empty.
    max_balance_cents = models.BigIntegerField(_("maximum balance (cents)"), null=True, blank=True)
    max_top_up_cents = models.BigIntegerField(_("maximum top-up (cents)"), null=True, blank=True)

    # Stamps: a full card earns the reward, then the card starts again.
    stamps_per_reward = models.PositiveSmallIntegerField(_("stamps per reward"), default=10)
    stamp_reward = models.CharField(_("stamp reward"), max_length=200, blank=True)

    # Vouchers: the usual value, partial redemption, and validity (empty: the country's rule).
    voucher_value_cents = models.BigIntegerField(_("voucher value (cents)"), null=True, blank=True)
    partial_redemption = models.BooleanField(_("partial redemption"), default=True)
    # The values the till offers as buttons when a voucher is sold, in cents.
    voucher_presets = ArrayField(models.BigIntegerField(), verbose_name=_("voucher values offered"),
                                 default=list, blank=True)
    voucher_purpose = models.CharField(_("kind of voucher for VAT"), max_length=6,
                                       choices=VoucherPurpose, default=VoucherPurpose.MULTI)
    voucher_validity_years = models.PositiveSmallIntegerField(
        _("voucher validity (years)"), null=True, blank=True,
        help_text=_("Valid to the end of the year this many years after issue. Empty: the legal "
                    "rule of the merchant's country."),
    )

    # Points: whether these also earn points. By default they don't: a top-up, a gift voucher
    # sold or a payment with prepaid money only changes the form of money already counted.
    points_on_top_ups = models.BooleanField(_("points for prepaid top-ups"), default=False)
    points_on_voucher_sales = models.BooleanField(_("points for gift vouchers sold"), default=False)
    points_on_prepaid_payments = models.BooleanField(_("points for payments with prepaid money"),
                                                     default=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["id"]
        # People with this permission (owners, managers) use the back office and the REST API;
        # cashiers work at the till only. Exporting everything is a right of its own (loyalty.roles).
        permissions = [("use_back_office", _("Can use the back office and the REST API")),
                       ("export_data", _("Can export all data"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_balance_cents__isnull=True) | Q(max_balance_cents__gt=0),
                name="program_max_balance_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_top_up_cents__isnull=True) | Q(max_top_up_cents__gt=0),
                name="program_max_top_up_positive",
            ),
            models.CheckConstraint(
                condition=Q(voucher_value_cents__isnull=True) | Q(voucher_value_cents__gt=0),
                name="program_voucher_value_positive",
            ),
            models.CheckConstraint(condition=Q(stamps_per_reward__gt=0), name="program_stamps_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def behaviour(self):
        """What this program's kind does: loyalty.programs.<kind>."""
        from loyalty.programs import behaviour_for

        return behaviour_for(self)


class Reward(CatalogModel):
    """Something a points program's cardholder can have for a number of points."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rewards")
    name = models.CharField(_("name"), max_length=200)
    points = models.PositiveIntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points", "id"]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="reward_points_positive")]

    def __str__(self):
        return f"{self.name} ({self.points})"


class BonusAction(CatalogModel):
    """Extra points: a multiplier for a period, a birthday bonus, a bonus for signing up."""

    class Kind(models.TextChoices):
        MULTIPLIER = "multiplier", _("multiplier for a period")
        BIRTHDAY = "birthday", _("birthday bonus")
        SIGN_UP = "sign_up", _("sign-up bonus")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="bonus_actions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    name = models.CharField(_("name"), max_length=200)
    multiplier = models.DecimalField(
        _("multiplier"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("1"))],
    )
    points = models.PositiveIntegerField(_("bonus points"), null=True, blank=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bonus action")
        verbose_name_plural = _("bonus actions")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="multiplier", multiplier__isnull=False)
                           | (~Q(kind="multiplier") & Q(points__gt=0))),
                name="bonus_action_has_its_amount",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="bonus_action_period_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def applies_on(self, day) -> bool:
        return (
            self.is_active
            and (self.starts_on is None or self.starts_on <= day)
            and (self.ends_on is None or day <= self.ends_on)
        )
