"""Cards, the people who hold them, and the terminals they are booked on."""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loyalty.cardnumbers import card_number_is_valid
from loyalty.errors import CardNotActive, CardReplaced
from tenants.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField


def validate_card_number(number: str) -> None:
    if not card_number_is_valid(number):
        raise ValidationError(_("This is not a valid card number."), code="card_number_invalid")


class Cardholder(models.Model):
    """A person holding one or more cards. Personal fields are encrypted with the merchant's
    key; e-mail and phone are found through their blind indexes.

    Two coarse bands are kept in plain text beside the encrypted fields, for the statistics:
    `age_band` (under 25, 25–34, …, 65 and over) and `postcode_area` (the first two digits of a German
    postcode). They fit encryption at rest: a band is shared by thousands of people and identifies
    nobody, even together with the gender (a stolen database yields "a woman of 35–44 near 10…", not a
    person); they are exactly what the analysis consent lets the merchant evaluate, nothing more; and
    in plain text the daily rollups can group by them in SQL without decrypting anybody. The birth
    date and the full postcode stay encrypted and are never copied. The bands are computed by
    loyalty.segments in cardholder_indexes_refresh (every write path) and, as people age, by the
    nightly run for today's birthdays (found through birthday_index, so that only those are
    decrypted)."""

    class AgeBand(models.TextChoices):
        UNDER_25 = "u25", _("under 25")
        FROM_25 = "25-34", _("25–34")
        FROM_35 = "35-44", _("35–44")
        FROM_45 = "45-54", _("45–54")
        FROM_55 = "55-64", _("55–64")
        FROM_65 = "65+", _("65 and over")
        UNKNOWN = "", _("unknown")

    class Gender(models.TextChoices):
        FEMALE = "f", _("female")
        MALE = "m", _("male")
        DIVERSE = "d", _("diverse")
        UNKNOWN = "", _("not stated")

    first_name = EncryptedTextField(_("first name"), blank=True)
    last_name = EncryptedTextField(_("last name"), blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender, blank=True, default="")
    birth_date = EncryptedDateField(_("birth date"), null=True, blank=True)
    postcode = EncryptedTextField(_("postcode"), blank=True)
    email = EncryptedTextField(_("e-mail address"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    custom_data = EncryptedJSONField(_("custom data"), default=dict, blank=True)
    # Coarse and in plain text, for the statistics' segments (see the class's docstring).
    age_band = models.CharField(_("age band"), max_length=5, choices=AgeBand, blank=True, default="",
                                editable=False)
    postcode_area = models.CharField(_("postcode area"), max_length=2, blank=True, default="", editable=False)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="de")
    email_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Keyed hash of the birthday's month and day: finds today's birthdays without decrypting.
    birthday_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Keyed hashes of pieces of the names (loyalty.search): finds "Müll" in "Müller" without
    # decrypting every row.
    name_index = ArrayField(models.CharField(max_length=10), default=list, blank=True, editable=False)
    # Keyed hashes of the own fields' values (field key and value): filters by them.
    field_index = ArrayField(models.CharField(max_length=16), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # The customer portal (loyalty.services.portal_accounts): a password hash (empty: signs in by
    # e-mail link only), when the e-mail address was confirmed, a new address waiting for its
    # confirmation, and the last sign-in, which also spends every sign-in link sent before it.
    password = models.CharField(max_length=128, blank=True, editable=False)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    email_new = EncryptedTextField(_("new e-mail address"), null=True, blank=True)
    portal_sign_in_at = models.DateTimeField(_("last sign-in to the portal"), null=True, blank=True)
    # Raised to end every portal session of the person (a new password, deletion, "sign out everywhere").
    portal_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("cardholder")
        verbose_name_plural = _("cardholders")
        ordering = ["id"]
        indexes = [GinIndex(fields=["name_index"], name="cardholder_name_index"),
                   GinIndex(fields=["field_index"], name="cardholder_field_index")]

    def __str__(self):
        # Never the name: a string of this object may end up in logs.
        return f"Cardholder #{self.pk}"


class Card(models.Model):
    class Status(models.TextChoices):
        UNISSUED = "unissued", _("not issued yet")
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")
        REPLACED = "replaced", _("replaced")

    number = models.CharField(
        _("card number"), max_length=13, unique=True, validators=[validate_card_number]
    )
    # Printed on the card next to the number; whoever holds the card may register it online.
    activation_code = models.CharField(_("activation code"), max_length=12, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.UNISSUED)
    cardholder = models.ForeignKey(
        Cardholder, on_delete=models.PROTECT, null=True, blank=True, related_name="cards",
        verbose_name=_("cardholder"),
    )
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces",
        verbose_name=_("replaced by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(replaced_by__isnull=True) | Q(status="replaced"),
                name="card_replaced_by_only_when_replaced",
            ),
        ]

    def __str__(self):
        return self.number

    def booking_refusal(self):
        """Why nothing can be booked on this card now, or None: the one rule of a card's state."""
        if self.status == self.Status.ACTIVE:
            return None
        if self.status == self.Status.REPLACED and self.replaced_by_id is not None:
            successor = Card.objects.filter(pk=self.replaced_by_id).values_list("number", flat=True).first()
            return CardReplaced(successor=successor)
        return CardNotActive(status=self.get_status_display())

    def check_bookable(self) -> None:
        if refusal := self.booking_refusal():
            raise refusal


class Terminal(models.Model):
    """A till's browser or a cash register that books through the API with its own token."""

    name = models.CharField(_("name"), max_length=100)
    # Only a hash is kept: a stolen database does not yield working terminal tokens.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name
