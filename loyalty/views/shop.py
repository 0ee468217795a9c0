"""Back-office pages for the merchant's settings: the till's limits, the company data of the
portal's legal pages, and the branding (logo, colours, welcome text)."""
import re
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.models import ShopSettings
from loyalty.services.shop import (
    BRANDING_FIELDS,
    COMPANY_FIELDS,
    LOGO_FORMATS,
    SETTINGS_FIELDS,
    shop_branding,
    shop_legal_details,
    shop_logo_remove,
    shop_logo_replace,
    shop_settings_update,
)
from loyalty.views import request_actor

# As the till reads amounts: whole euros, or with one or two decimals after a comma or a point.
EUROS = re.compile(r"^(\d{1,6})(?:[.,](\d{1,2}))?$")


class EuroField(forms.Field):
    """Euros as typed ("12,50", "12.50", "12") to cents; shown in the language's format."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 12})

    def prepare_value(self, value):
        if isinstance(value, int):
            return number_format(Decimal(value) / 100, 2)
        return value

    def to_python(self, value):
        text = str(value or "").strip().removesuffix("€").strip()
        if not text:
            return None
        match = EUROS.match(text)
        if not match:
            raise ValidationError(_("Enter an amount in euros, like 12,50."), code="invalid_amount")
        cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
        if cents < 1:
            raise ValidationError(_("Enter an amount above 0 €."), code="amount_not_positive")
        return cents


class SettingsForm(forms.Form):
    plausibility_limit_cents = EuroField(
        label=gettext_lazy("Ask for a confirmation above (€)"),
        help_text=gettext_lazy("A cashier who types 999 for 9,99 is asked to confirm first."))
    hard_maximum_cents = EuroField(
        label=gettext_lazy("Never book more than (€)"),
        help_text=gettext_lazy("Above this the till books nothing, even when confirmed."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(
            ShopSettings, fields=("reversal_window_minutes", *COMPANY_FIELDS, *BRANDING_FIELDS),
            widgets={"primary_colour": forms.TextInput(attrs={"type": "color"}),
                     "background_colour": forms.TextInput(attrs={"type": "color"}),
                     "welcome_text": forms.Textarea(attrs={"rows": 3})})
        model_fields["reversal_window_minutes"].label = gettext_lazy(
            "Cashiers may reverse their own bookings for (minutes)")
        self.fields.update(model_fields)

    def fields_of(self, names):
        return [self[name] for name in names]

    def till(self):
        return self.fields_of(("reversal_window_minutes", "plausibility_limit_cents", "hard_maximum_cents"))

    def company(self):
        return self.fields_of(COMPANY_FIELDS)

    def branding(self):
        return self.fields_of(BRANDING_FIELDS)


class LogoForm(forms.Form):
    logo = forms.FileField(label=gettext_lazy("New logo"), widget=forms.ClearableFileInput(
        attrs={"accept": ",".join(f"image/{name.lower()}" for name in sorted(LOGO_FORMATS))}))


class SettingsPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "loyalty.change_shopsettings"


def _initial() -> dict:
    settings = ShopSettings.current()
    return {name: getattr(settings, name) for name in SETTINGS_FIELDS}


def _settings_page(request, *, form=None, logo_form=None, status=200):
    return render(request, "loyalty/manage/settings.html", {
        "form": form or SettingsForm(initial=_initial()), "logo_form": logo_form or LogoForm(),
        "branding": shop_branding(), "legal": shop_legal_details(),
    }, status=status)


class SettingsView(SettingsPermissionMixin, View):
    def get(self, request):
        return _settings_page(request)

    def post(self, request):
        form = SettingsForm(request.POST, initial=_initial())
        if form.is_valid():
            try:
                shop_settings_update(actor=request_actor(request), **form.cleaned_data)
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("The settings are saved."))
                return redirect("settings")
        return _settings_page(request, form=form, status=400)


class LogoView(SettingsPermissionMixin, View):
    """Upload (checked and re-encoded by the service) or remove the logo."""

    def post(self, request):
        if "remove" in request.POST:
            shop_logo_remove(actor=request_actor(request))
            messages.success(request, _("The logo is removed."))
            return redirect("settings")
        logo_form = LogoForm(request.POST, request.FILES)
        if logo_form.is_valid():
            try:
                shop_logo_replace(upload=logo_form.cleaned_data["logo"], actor=request_actor(request))
            except ValidationError as refusal:
                logo_form.add_error("logo", refusal)
            else:
                messages.success(request, _("The new logo is saved."))
                return redirect("settings")
        return _settings_page(request, logo_form=logo_form, status=400)


urlpatterns = [
    path("settings/", SettingsView.as_view(), name="settings"),
    path("settings/logo/", LogoView.as_view(), name="settings-logo"),
]
