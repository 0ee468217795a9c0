"""The statistics' rollups: what the statistics page reads instead of the ledger. Computed from the
ledger by loyalty.statistics.rollups (its docstring defines every figure), kept current by an
idempotent job, and rebuilt from the ledger at any time with the same result."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatisticsDay(models.Model):
    """One day's sums in one grouping (loyalty.statistics.rollups.GROUPINGS): by program, terminal
    and staff member; by program and one segment (gender, age band or postcode area); or by all of
    them. Each day is summed in every grouping, so a page reads the smallest one that has the keys it
    filters and splits by. Keys outside the row's grouping are null (""). Within its grouping a key
    is null where the bookings had none (no terminal, the system); a segment is "" (unknown) for a
    card without a holder or a holder without the analysis consent."""

    day = models.DateField()
    grouping = models.CharField(max_length=16)
    program = models.ForeignKey("loyalty.Program", on_delete=models.CASCADE, null=True, related_name="+",
                                db_index=False)
    terminal = models.ForeignKey("loyalty.Terminal", on_delete=models.CASCADE, null=True, related_name="+",
                                 db_index=False)
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+",
                                   db_index=False, db_constraint=False)
    gender = models.CharField(max_length=1, blank=True)
    age_band = models.CharField(max_length=5, blank=True)
    postcode_area = models.CharField(max_length=2, blank=True)
    bookings = models.BigIntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)
    points_issued = models.BigIntegerField(default=0)
    points_redeemed = models.BigIntegerField(default=0)
    prepaid_topped_up_cents = models.BigIntegerField(default=0)
    prepaid_spent_cents = models.BigIntegerField(default=0)
    stamps_given = models.BigIntegerField(default=0)
    stamps_redeemed = models.BigIntegerField(default=0)
    vouchers_sold_cents = models.BigIntegerField(default=0)
    vouchers_redeemed_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("statistics of a day")
        verbose_name_plural = _("statistics of days")
        # The statistics page: owners and managers (loyalty.roles "See the statistics").
        permissions = [("view_statistics", _("Can view the statistics"))]
        indexes = [models.Index(fields=["grouping", "day"], name="statistics_grouping_day"),
                   models.Index(fields=["day"], name="statistics_day")]

    def __str__(self):
        return f"{self.day} {self.grouping} #{self.pk}"


class StatisticsCardDay(models.Model):
    """One day × card × program × terminal × staff member: what cannot be summed from the day rows
    (distinct active cards, top customers). One row per card that booked that day, in practice
    about one per visit; a year of them is counted with one index range scan."""

    day = models.DateField()
    card = models.ForeignKey("loyalty.Card", on_delete=models.CASCADE, related_name="+", db_index=False)
    program = models.ForeignKey("loyalty.Program", on_delete=models.CASCADE, null=True, related_name="+",
                                db_index=False)
    terminal = models.ForeignKey("loyalty.Terminal", on_delete=models.CASCADE, null=True, related_name="+",
                                 db_index=False)
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+",
                                   db_index=False, db_constraint=False)
    # Bookings at the till that day (gross: what makes the card active), and net as in StatisticsDay.
    visits = models.IntegerField(default=0)
    bookings = models.IntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "card"], name="statistics_card_day")]

    def __str__(self):
        return f"{self.day} card #{self.card_id}"


class StatisticsCardPeriod(models.Model):
    """One card's sums over a calendar month or year (of every program, terminal and staff member):
    the card days added up, so that a year's active cards and top customers read one row per card
    that booked in it, not one per visit. Kept in step with the card days by the refresh (what it
    takes out of the card days and puts back, it takes out of and adds to these)."""

    class Span(models.TextChoices):
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    span = models.CharField(max_length=5, choices=Span.choices)
    starts_on = models.DateField()
    card = models.ForeignKey("loyalty.Card", on_delete=models.CASCADE, related_name="+", db_index=False)
    visits = models.IntegerField(default=0)
    bookings = models.IntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["span", "starts_on", "card"], name="statistics_card_period")]

    def __str__(self):
        return f"{self.span} of {self.starts_on} card #{self.card_id}"


class StatisticsCard(models.Model):
    """The segment a card's bookings are counted in by the rollups as they stand (no row: unknown).
    The refresh compares it with the card's current one (through its holder) and recomputes the days
    of every card whose segment changed: a withdrawn consent, a new age band, a move, a card
    detached from its holder."""

    card = models.OneToOneField("loyalty.Card", on_delete=models.CASCADE, primary_key=True, related_name="+")
    gender = models.CharField(max_length=1, blank=True)
    age_band = models.CharField(max_length=5, blank=True)
    postcode_area = models.CharField(max_length=2, blank=True)

    def __str__(self):
        return f"card #{self.card_id}"


class StatisticsCardholder(models.Model):
    """Registrations: each cardholder's day of registration (Cardholder.created_at) and current
    segment, kept in step with the cardholders by the refresh; counted by day and segment."""

    cardholder = models.OneToOneField("loyalty.Cardholder", on_delete=models.CASCADE, primary_key=True,
                                      related_name="+")
    registered_on = models.DateField()
    gender = models.CharField(max_length=1, blank=True)
    age_band = models.CharField(max_length=5, blank=True)
    postcode_area = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [models.Index(fields=["registered_on"], name="statistics_registered_on")]

    def __str__(self):
        return f"cardholder #{self.cardholder_id}"


class StatisticsState(models.Model):
    """One row: how far the rollups have read the ledger and the cardholders, and when."""

    booking_id_done = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"statistics up to booking #{self.booking_id_done}"
