"""Forms of the operator console."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Country


class OnboardingForm(forms.Form):
    name = forms.CharField(label=_("Merchant name (shown to cardholders)"), max_length=200)
    subdomain = forms.CharField(label=_("Subdomain"), max_length=40,
                                help_text=_("e.g. baeckerei-mueller → baeckerei-mueller.stammkunde.de"))
    legal_name = forms.CharField(label=_("Company name"), max_length=200)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices, initial=Country.GERMANY)
    vat_id = forms.CharField(label=_("VAT id"), max_length=20, required=False)
    billing_email = forms.EmailField(label=_("Billing e-mail"))
    owner_email = forms.EmailField(label=_("Owner's e-mail (gets the invitation)"))
    contract_start = forms.DateField(label=_("Contract start"), initial=timezone.localdate,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    terminals = forms.IntegerField(label=_("Terminals"), min_value=1, max_value=500, initial=1)
    card_quantity = forms.IntegerField(label=_("Cards to print"), min_value=0, max_value=100_000, initial=500)
    card_layout = forms.ChoiceField(label=_("Card layout"), choices=[("standard", _("standard")),
                                                                     ("custom", _("custom design"))])
    card_design = forms.FileField(label=_("Custom design (PDF, PNG or JPEG)"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("card_layout") == "custom" and not data.get("card_design") and data.get("card_quantity"):
            self.add_error("card_design", _("A custom layout needs the uploaded design."))
        return data


class LicenceChangeForm(forms.Form):
    count = forms.IntegerField(label=_("Terminals"), min_value=0, max_value=500)
    effective_on = forms.DateField(label=_("From"), initial=timezone.localdate,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class NoticeForm(forms.Form):
    given_on = forms.DateField(label=_("Notice received on"), initial=timezone.localdate,
                               widget=forms.DateInput(attrs={"type": "date"}))
