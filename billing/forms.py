"""Billing's forms: which kind of payment method to set up on Stripe's page."""
from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import BillingAccount


class PaymentMethodChoiceForm(forms.Form):
    payment_method_type = forms.ChoiceField(label=_("payment method"),
                                            choices=BillingAccount.PaymentMethodType.choices)
