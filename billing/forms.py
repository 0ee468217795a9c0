"""Billing's forms: which kind of payment method to set up on Stripe's page, and which month the
console's run invoices."""
import datetime

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from billing.models import BillingAccount
from billing.selectors import billing_run_months


class PaymentMethodChoiceForm(forms.Form):
    payment_method_type = forms.ChoiceField(label=_("payment method"),
                                            choices=BillingAccount.PaymentMethodType.choices)


class BillingRunForm(forms.Form):
    """Which past month the console's run invoices."""

    month = forms.TypedChoiceField(
        label=_("Month"), coerce=datetime.date.fromisoformat,
        error_messages={"invalid_choice": _("Choose one of the months offered: a month that is over, at "
                                            "most a year back.")})

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        months = billing_run_months(today=today)
        self.fields["month"].choices = [(month.isoformat(), date_format(month, "YEAR_MONTH_FORMAT"))
                                        for month in months]
        self.fields["month"].initial = months[0].isoformat()
