"""The print order forms: the operator's new order in the console and the merchant's reorder in
its back office (the same three fields; the merchant's asks for at least a sheet's worth)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from hq.models import PrintOrder
from hq.models.print_orders import MAX_QUANTITY

# What a merchant may ask for at least: fewer would hardly be worth the printing.
REORDER_MINIMUM_QUANTITY = 50
LAYOUTS = [(PrintOrder.Layout.STANDARD, _("Standard layout")), (PrintOrder.Layout.CUSTOM, _("Own design"))]


class PrintOrderForm(forms.Form):
    quantity = forms.IntegerField(label=_("Number of cards"), min_value=1, max_value=MAX_QUANTITY, initial=500)
    layout = forms.ChoiceField(label=_("Layout"), choices=LAYOUTS, initial=PrintOrder.Layout.STANDARD,
                               widget=forms.RadioSelect)
    design = forms.FileField(label=_("Own design (PDF, PNG or JPEG)"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))

    def clean(self):
        data = super().clean()
        if data.get("layout") == PrintOrder.Layout.CUSTOM and not data.get("design"):
            self.add_error("design", _("Upload your design for a custom layout."))
        if data.get("layout") == PrintOrder.Layout.STANDARD:
            data["design"] = None  # a file picked before switching back to the standard layout
        return data


class CardReorderForm(PrintOrderForm):
    quantity = forms.IntegerField(label=_("Number of cards"), min_value=REORDER_MINIMUM_QUANTITY,
                                  max_value=MAX_QUANTITY, initial=500, help_text=_("At least 50 cards."))


class PrintOrderStepForm(forms.Form):
    to_status = forms.ChoiceField(choices=PrintOrder.Status.choices)
    confirmed = forms.BooleanField(required=False)
