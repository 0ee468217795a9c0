"""The till's sign-in, pairing and PIN forms: shapes only; the services check the rest."""
from django import forms
from django.utils.translation import gettext_lazy as _

_PIN_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
_PASSWORD_ATTRS = {"autocomplete": "current-password"}


class PairForm(forms.Form):
    code = forms.CharField(label=_("Pairing code"), max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
        "autofocus": True,
    }))


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(_PASSWORD_ATTRS))


class PinSignInForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Who are you?"), coerce=int, widget=forms.RadioSelect)
    pin = forms.CharField(label=_("PIN"), max_length=8, widget=forms.PasswordInput(_PIN_ATTRS))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(user.pk, str(user)) for user in staff]


class PinSetForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(_PASSWORD_ATTRS))
    pin = forms.RegexField(label=_("New PIN (4 to 8 digits)"), regex=r"^[0-9]{4,8}$",
                           widget=forms.PasswordInput(_PIN_ATTRS),
                           error_messages={"invalid": _("A PIN has 4 to 8 digits.")})
    pin_again = forms.CharField(label=_("New PIN again"), widget=forms.PasswordInput(_PIN_ATTRS))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pin") and cleaned.get("pin") != cleaned.get("pin_again"):
            self.add_error("pin_again", _("The two PINs differ."))
        return cleaned
