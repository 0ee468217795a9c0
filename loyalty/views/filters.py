"""What the back office's filtered lists share: a period of days, from one to another, and where a
booking was made (program, terminal, staff member)."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy

from loyalty.models import Program, Terminal
from tenants.widgets import DateInput


def program_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=gettext_lazy("Program"), required=False,
                                  empty_label=gettext_lazy("all programs"),
                                  queryset=Program.objects.order_by("name", "pk"))


def terminal_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=gettext_lazy("Terminal"), required=False,
                                  empty_label=gettext_lazy("all terminals"),
                                  queryset=Terminal.objects.order_by("name", "pk"))


def staff_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=gettext_lazy("Staff member"), required=False,
                                  empty_label=gettext_lazy("everyone"),
                                  queryset=get_user_model().objects.order_by("full_name", "email"))


class PeriodFilterForm(forms.Form):
    """From one day to another, both included (in the merchant's time zone); either may be left out."""

    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", gettext_lazy("The end is before the start: please pick a later day."))
        return data


def filter_values(form: forms.Form) -> dict | None:
    """What a filter form picks: {} for no filter, None while it has errors (they stand next to
    their fields, and no list pretends to be filtered)."""
    if not form.is_bound:
        return {}
    return form.cleaned_data if form.is_valid() else None
