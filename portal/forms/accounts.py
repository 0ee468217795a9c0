"""The forms of registration and sign-in in the customer portal: phone-first (the keyboard each
field needs, what the browser may fill in), errors tied to their fields. They check the shape of
what is typed; what it means (the activation code, the own fields' rules, the wordings' versions)
is decided by loyalty.services.portal_accounts."""
from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from loyalty.models import Consent, ConsentWording, CustomField
from loyalty.services.cardholders import custom_data_clean
from loyalty.services.portal_accounts import (
    EMAIL_INVALID,
    EMAIL_LENGTH,
    NAME_LENGTH,
    OPTIONAL_PURPOSES,
)
from loyalty.views.cardholder_forms import own_form_field

OWN_PREFIX = "own__"
VERSION_PREFIX = "version__"


class PortalForm(forms.Form):
    """Errors of the service go to the field they name. Django ties each field to its help text
    and its errors (aria-describedby "<id>_helptext <id>_error", aria-invalid); the template gives
    them these ids (portal/accounts/_field.html)."""

    def add_error(self, field, error):
        """After a refusal the cursor goes to the first field to correct."""
        super().add_error(field, error)
        invalid = [name for name in self.fields if name in self.errors]
        if invalid:
            self.focus(invalid[0])

    def focus(self, name: str | None) -> None:
        """The cursor in this field (or in none of this form's)."""
        for form_field in self.fields.values():
            form_field.widget.attrs.pop("autofocus", None)
        if name is not None:
            self.fields[name].widget.attrs["autofocus"] = True

    def error_for(self, name: str, error) -> None:
        """An error of the service for a field of this form (or the whole form)."""
        self.add_error(name if name in self.fields else None, error)

    def errors_from(self, error: ValidationError, *, mapping: dict[str, str] | None = None) -> None:
        """The service's ValidationError, per field where it names one."""
        mapping = mapping or {}
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.error_for(mapping.get(name, name), errors)
        else:
            self.add_error(None, error)


def _email_field(**options) -> forms.EmailField:
    # Django's own message would be translated by Django REST framework's catalogue, which says "du".
    return forms.EmailField(error_messages={"invalid": EMAIL_INVALID}, **options)


def _text(*, autocomplete: str, autofocus: bool = False, **attrs) -> forms.TextInput:
    attrs = {"autocomplete": autocomplete, **attrs}
    if autofocus:
        attrs["autofocus"] = True
    return forms.TextInput(attrs=attrs)


class CardForm(PortalForm):
    card_number = forms.CharField(
        label=_("Card number"), max_length=40,
        help_text=_("The 13 digits under the barcode; spaces do not matter."),
        widget=_text(autocomplete="off", autofocus=True, inputmode="numeric", spellcheck="false",
                     enterkeyhint="next"))
    activation_code = forms.CharField(
        label=_("Activation code"), max_length=40,
        help_text=_("The 8 letters and digits next to “Activation code” on your card."),
        widget=_text(autocomplete="one-time-code", autocapitalize="characters", spellcheck="false",
                     enterkeyhint="go"))


class ConsentsMixin:
    """The consents asked for, each with its current wording and that wording's version, which is
    posted back so that the service can tell when the wording changed meanwhile."""

    purposes: tuple[str, ...] = ()

    def consents_add(self, wordings: dict[str, ConsentWording]) -> None:
        self.wordings = {purpose: wordings[purpose] for purpose in self.purposes if purpose in wordings}
        for purpose, wording in self.wordings.items():
            self.fields[purpose] = forms.BooleanField(
                label=wording.text(), required=purpose == Consent.Purpose.TERMS,
                error_messages={"required": _("Please agree to the terms and the privacy notice.")})
            self.fields[VERSION_PREFIX + purpose] = forms.CharField(
                required=False, max_length=40, widget=forms.HiddenInput, initial=str(wording.version))

    def consents_given(self) -> list[str]:
        return [purpose for purpose in self.wordings if self.cleaned_data.get(purpose)]

    def wordings_shown(self) -> dict[str, str]:
        return {purpose: self.cleaned_data.get(VERSION_PREFIX + purpose, "") for purpose in self.wordings}

    def consent_fields(self):
        return [self[purpose] for purpose in self.wordings if purpose != Consent.Purpose.TERMS]

    def terms_field(self):
        return self[Consent.Purpose.TERMS] if Consent.Purpose.TERMS in self.wordings else None


class OwnFieldsMixin:
    def own_fields_add(self, own_fields: list[CustomField]) -> None:
        self.own_fields = own_fields
        for field in own_fields:
            self.fields[OWN_PREFIX + field.key] = own_form_field(field, optional_said=True)

    def own_bound_fields(self):
        return [self[OWN_PREFIX + field.key] for field in self.own_fields]

    def custom_data(self) -> dict:
        return {field.key: self.cleaned_data.get(OWN_PREFIX + field.key) for field in self.own_fields}

    def own_fields_clean(self) -> None:
        """Each own field's value by its rule, the error on its form field."""
        fields = [field for field in self.own_fields if OWN_PREFIX + field.key in self.cleaned_data]
        raw = {field.key: self.cleaned_data[OWN_PREFIX + field.key] for field in fields}
        try:
            custom_data_clean(raw, fields=fields)
        except ValidationError as error:
            for key, errors in error.error_dict.items():
                self.add_error(OWN_PREFIX + key if OWN_PREFIX + key in self.fields else None, errors)

    def own_error_mapping(self) -> dict[str, str]:
        return {field.key: OWN_PREFIX + field.key for field in self.own_fields}


def _first_name(*, autofocus: bool) -> forms.CharField:
    return forms.CharField(label=_("First name"), max_length=NAME_LENGTH,
                           widget=_text(autocomplete="given-name", autofocus=autofocus, enterkeyhint="next"))


def _last_name() -> forms.CharField:
    return forms.CharField(label=_("Last name (optional)"), max_length=NAME_LENGTH, required=False,
                           widget=_text(autocomplete="family-name", enterkeyhint="next"))


class DetailsForm(OwnFieldsMixin, ConsentsMixin, PortalForm):
    """The person's details after a right activation code."""

    purposes = (Consent.Purpose.TERMS, *OPTIONAL_PURPOSES)

    first_name = _first_name(autofocus=True)
    last_name = _last_name()
    email = _email_field(
        label=_("E-mail address"), max_length=EMAIL_LENGTH,
        help_text=_("We send you a link to confirm it; with it you sign in later."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "enterkeyhint": "next"}))

    def __init__(self, *args, own_fields: list[CustomField], wordings: dict[str, ConsentWording], **kwargs):
        super().__init__(*args, **kwargs)
        self.own_fields_add(own_fields)
        self.consents_add(wordings)

    def clean(self):
        data = super().clean()
        self.own_fields_clean()
        return data

    def personal_fields(self):
        return [self["first_name"], self["last_name"], self["email"]]


class InvitationForm(OwnFieldsMixin, ConsentsMixin, PortalForm):
    """Accepting an invitation from the till: the names (the first one as the till took it), the
    own fields of the registration, the optional consents and, if the person likes, a password."""

    purposes = OPTIONAL_PURPOSES

    first_name = _first_name(autofocus=False)
    last_name = _last_name()
    password = forms.CharField(
        label=_("Password (optional)"), required=False, strip=False, max_length=128,
        help_text=_("Without a password you sign in with a link we send by e-mail."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, own_fields: list[CustomField], wordings: dict[str, ConsentWording], **kwargs):
        super().__init__(*args, **kwargs)
        self.own_fields_add(own_fields)
        self.consents_add(wordings)
        self.fields["last_name"].widget.attrs["autofocus"] = True

    def clean(self):
        data = super().clean()
        self.own_fields_clean()
        return data

    def personal_fields(self):
        return [self["first_name"], self["last_name"]]


class EmailCorrectionForm(PortalForm):
    email = _email_field(label=_("Correct e-mail address"), max_length=EMAIL_LENGTH,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class SignInLinkForm(PortalForm):
    email = _email_field(label=_("E-mail address"), max_length=EMAIL_LENGTH,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True,
                                                            "enterkeyhint": "send"}))


class PasswordSignInForm(PortalForm):
    email = _email_field(label=_("E-mail address"), max_length=EMAIL_LENGTH,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                                                 "enterkeyhint": "go"}))


class PasswordForm(PortalForm):
    current_password = forms.CharField(
        label=_("Current password"), strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}))
    new_password = forms.CharField(
        label=_("New password"), strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, has_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = password_validators_help_text_html()
        if not has_password:
            del self.fields["current_password"]
            self.fields["new_password"].label = _("Password")
            self.fields["new_password"].widget.attrs["autofocus"] = True
