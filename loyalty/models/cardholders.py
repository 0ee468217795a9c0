"""What a merchant keeps about its cardholders besides the fixed fields: its own fields, and every
consent given or withdrawn."""
import datetime
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

_TRUE = {"1", "x", "ja", "j", "yes", "y", "true", "wahr", "an", "on"}
_FALSE = {"", "0", "nein", "n", "no", "false", "falsch", "aus", "off", "-"}
_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y")


def number_parse(text: str) -> Decimal:
    """A number as people type it: "1.234,5" and "1234,5" (German) or "1234.5" and "1,234.5"."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", text) or "," in text and "." not in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def date_parse(value) -> datetime.date:
    """A date from a spreadsheet cell or as people type it: 31.12.1980, 1980-12-31, 31/12/1980."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class CustomField(models.Model):
    """A field of the merchant's own ("Lieblingsbrot", "Kundennummer alt", "Newsletter-Thema").
    Values live in Cardholder.custom_data under the field's key, encrypted with the person's other
    data; `value_clean` is the one rule of what a value may be, for every way in (back office,
    import, registration)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        # "number" alone is a card's or an invoice's number ("Nummer"); here it is a kind of value.
        NUMBER = "number", pgettext_lazy("kind of an own field", "number")
        DATE = "date", _("date")
        CHOICE = "choice", _("selection list")
        CHECKBOX = "checkbox", _("checkbox")

    key = models.SlugField(_("key"), max_length=40, unique=True,
                           help_text=_("Stays the same when the label changes; used in imports and exports."))
    label = models.CharField(_("label"), max_length=80)
    kind = models.CharField(_("type"), max_length=10, choices=Kind, default=Kind.TEXT)
    choices = ArrayField(models.CharField(max_length=80), verbose_name=_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    at_registration = models.BooleanField(_("asked at registration"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    MAX_TEXT = 500

    class Meta:
        verbose_name = _("own field")
        verbose_name_plural = _("own fields")
        ordering = ["position", "id"]

    def __str__(self):
        return self.label

    def clean(self):
        if self.kind == self.Kind.CHOICE and not [choice for choice in self.choices if choice.strip()]:
            raise ValidationError({"choices": _("A selection list needs at least one choice.")})

    def value_clean(self, raw):
        """The value to store (str, str of a number, ISO date, bool) or None for "no value";
        ValidationError in plain words when it does not fit the field."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.kind == self.Kind.CHECKBOX:
                return False
            if self.required:
                raise ValidationError(gettext("“%(field)s” is required.") % {"field": self.label},
                                      code="required")
            return None
        if self.kind == self.Kind.CHECKBOX:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().casefold()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValidationError(gettext("“%(field)s” takes yes or no, not “%(value)s”.")
                                  % {"field": self.label, "value": raw}, code="invalid")
        if self.kind == self.Kind.NUMBER:
            if isinstance(raw, bool):
                raw = str(raw)
            try:
                number = Decimal(raw) if isinstance(raw, int | float) else number_parse(str(raw))
            except (ValueError, InvalidOperation):
                raise ValidationError(gettext("“%(field)s” takes a number, not “%(value)s”.")
                                      % {"field": self.label, "value": raw}, code="invalid") from None
            return str(number.normalize() if number == number.to_integral() else number)
        if self.kind == self.Kind.DATE:
            try:
                return date_parse(raw).isoformat()
            except ValueError:
                raise ValidationError(gettext("“%(field)s” takes a date like 31.12.1980, not “%(value)s”.")
                                      % {"field": self.label, "value": raw}, code="invalid") from None
        text = str(raw).strip()
        if self.kind == self.Kind.CHOICE:
            for choice in self.choices:
                if choice.casefold() == text.casefold():
                    return choice
            raise ValidationError(
                gettext("“%(value)s” is not a choice of “%(field)s” (%(choices)s).")
                % {"field": self.label, "value": raw, "choices": ", ".join(self.choices)}, code="invalid")
        if len(text) > self.MAX_TEXT:
            raise ValidationError(gettext("“%(field)s” takes at most %(max)d characters.")
                                  % {"field": self.label, "max": self.MAX_TEXT}, code="invalid")
        return text

    def value_text(self, value) -> str:
        """A stored value as the page shows it, in the active language's formats."""
        if value is None or value == "":
            return ""
        if self.kind == self.Kind.CHECKBOX:
            return gettext("yes") if value else gettext("no")
        if self.kind == self.Kind.NUMBER:
            return formats.number_format(Decimal(value), use_l10n=True)
        if self.kind == self.Kind.DATE:
            return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        return str(value)


class Consent(models.Model):
    """A consent given or withdrawn, never changed afterwards: the latest row per purpose is the
    person's current choice, the rows before it the history."""

    class Purpose(models.TextChoices):
        TERMS = "terms_and_privacy", _("terms and privacy notice")
        NEWSLETTER = "newsletter", _("newsletter by e-mail")
        SMS = "sms", _("messages by SMS")
        ANALYSIS = "analysis", _("analysis of purchases")

    class Source(models.TextChoices):
        TILL = "till", _("at the till")
        PORTAL = "portal", _("in the customer portal")
        BACK_OFFICE = "back_office", _("in the back office")
        IMPORT = "import", _("imported")

    cardholder = models.ForeignKey("loyalty.Cardholder", on_delete=models.PROTECT, related_name="consents",
                                   verbose_name=_("cardholder"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=20, choices=Source)
    # Which version of the wording the person was shown (the portal keeps every version).
    wording_version = models.CharField(_("wording version"), max_length=40, blank=True)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    actor_terminal = models.ForeignKey("loyalty.Terminal", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-id"]
        indexes = [models.Index(fields=["cardholder", "purpose", "-id"], name="consent_latest")]

    def __str__(self):
        return f"{self.purpose} {'+' if self.granted else '-'} #{self.cardholder_id}"


class ConsentWording(models.Model):
    """The words a person is shown when asked for a consent, one row per version: a new wording is
    a new version and the old ones stay, so the merchant can show the exact text behind every
    Consent (its `wording_version` is this row's `version`)."""

    purpose = models.CharField(_("purpose"), max_length=20, choices=Consent.Purpose)
    version = models.PositiveIntegerField(_("version"))
    text_de = models.TextField(_("wording in German"))
    text_en = models.TextField(_("wording in English"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")
        ordering = ["purpose", "-version"]
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="consent_wording_version")]

    def __str__(self):
        return f"{self.purpose} v{self.version}"

    def text(self, language: str | None = None) -> str:
        """The wording in `language` (the active one when not given); German where no other exists."""
        return self.text_en if (language or get_language() or "de").startswith("en") else self.text_de
