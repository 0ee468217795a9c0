"""Forms of the operator console."""
import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from billing.tax import vat_id_normalized, vat_id_required, vat_id_valid
from hq.services import licence_months
from tenants.models import Country
from tenants.widgets import DateInput


class OnboardingForm(forms.Form):
    name = forms.CharField(label=_("Merchant name (shown to cardholders)"), max_length=200)
    subdomain = forms.CharField(label=_("Subdomain"), max_length=40,
                                help_text=_("e.g. baeckerei-mueller → baeckerei-mueller.stammkunde.de"))
    legal_name = forms.CharField(label=_("Company name"), max_length=200)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices, initial=Country.GERMANY)
    vat_id = forms.CharField(
        label=_("VAT id"), max_length=20, required=False,
        help_text=_("Required outside Germany: Austrian businesses are billed under reverse charge."))
    billing_email = forms.EmailField(label=_("Billing e-mail"))
    owner_email = forms.EmailField(label=_("Owner's e-mail (gets the invitation)"))
    contract_start = forms.DateField(label=_("Contract start"), initial=lambda: timezone.localdate(),
                                     widget=DateInput())
    terminals = forms.IntegerField(label=_("Terminals"), min_value=1, max_value=500, initial=1)
    card_quantity = forms.IntegerField(label=_("Cards to print"), min_value=0, max_value=100_000, initial=500)
    card_layout = forms.ChoiceField(label=_("Card layout"), choices=[("standard", _("standard")),
                                                                     ("custom", _("custom design"))])
    card_design = forms.FileField(label=_("Custom design (PDF, PNG or JPEG)"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("card_layout") == "custom" and not data.get("card_design") and data.get("card_quantity"):
            self.add_error("card_design", _("A custom layout needs the uploaded design."))
        country, vat_id = data.get("country"), vat_id_normalized(data.get("vat_id", ""))
        if country and vat_id and not vat_id_valid(country=country, vat_id=vat_id):
            self.add_error("vat_id", _("This is not a valid VAT id for %(country)s: check the country code, "
                                       "the digits and the check digit.") % {"country": Country(country).label})
        elif country and not vat_id and vat_id_required(country=country):
            self.add_error("vat_id", _("A business in %(country)s is billed without German VAT (reverse "
                                       "charge), which needs its VAT id.") % {"country": Country(country).label})
        data["vat_id"] = vat_id
        return data


class LicenceChangeForm(forms.Form):
    """A change takes effect from the first of a month, so the form offers months, not days."""

    count = forms.IntegerField(label=_("Terminals"), min_value=0, max_value=500)
    effective_on = forms.TypedChoiceField(
        label=_("From"), coerce=datetime.date.fromisoformat,
        error_messages={"invalid_choice": _("Choose one of the months offered: a change takes effect from "
                                            "the first of this month or of a later one.")})
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        months = licence_months(today=today or timezone.localdate())
        self.fields["effective_on"].choices = [(month.isoformat(), date_format(month, "YEAR_MONTH_FORMAT"))
                                               for month in months]
        self.fields["effective_on"].initial = months[0].isoformat()


class NoticeForm(forms.Form):
    given_on = forms.DateField(label=_("Notice received on"), initial=lambda: timezone.localdate(),
                               widget=DateInput())
