"""The back office's forms for cardholders and own fields: the list's search and filters, a
person's data with the merchant's own fields (each checked by CustomField.value_clean), the
actions on a person's cards and balances, and the definition of an own field."""
import copy
import datetime
import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from loyalty.models import Card, Cardholder, Consent, ConsentWording, CustomField, Program
from loyalty.models.cardholders import date_parse
from loyalty.services.bookings import MAX_STAMPS
from loyalty.services.cardholders import custom_data_clean
from loyalty.services.consent_wordings import consent_wordings_current
from loyalty.services.ledger import MAX_AMOUNT
from loyalty.views.program_forms import EuroField

DATE_EXAMPLE = _("e.g. 31.12.1980")
_PHONE = re.compile(r"^\+?[\d\s()/.-]{5,30}$")


class DateTextField(forms.CharField):
    """A date typed as people write it (31.12.1980, 1980-12-31), the same rule as own date fields."""

    MAX_LENGTH = 20

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "placeholder": DATE_EXAMPLE, "autocomplete": "off", "maxlength": self.MAX_LENGTH}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.strftime("%d.%m.%Y") if isinstance(value, datetime.date) else value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            if len(text) > self.MAX_LENGTH:
                raise ValueError(text)
            return date_parse(text)
        except ValueError:
            raise ValidationError(_("Please enter a date like 31.12.1980."), code="invalid") from None


# --- The list ------------------------------------------------------------------------------------

VISITS = {"30": ("within", 30), "90": ("within", 90), "365": ("within", 365),
          "none-90": ("none", 90), "none-365": ("none", 365)}


def _consent_choices():
    choices = [("", _("any"))]
    for purpose, label in Consent.Purpose.choices:
        choices += [(f"{purpose}:yes", _("%(purpose)s: given") % {"purpose": label}),
                    (f"{purpose}:no", _("%(purpose)s: not given") % {"purpose": label})]
    return choices


class CardholderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Card number, e-mail, phone or name"), "autocomplete": "off"}))
    program = forms.ModelChoiceField(label=_("Program"), required=False, empty_label=_("all programs"),
                                     queryset=Program.objects.order_by("name", "pk"))
    visit = forms.ChoiceField(label=_("Last visit"), required=False, choices=[
        ("", _("any time")), ("30", _("in the last 30 days")), ("90", _("in the last 90 days")),
        ("365", _("in the last 12 months")), ("none-90", _("not in the last 90 days")),
        ("none-365", _("not in the last 12 months"))])
    consent = forms.ChoiceField(label=_("Consent"), required=False, choices=_consent_choices)
    field = forms.ModelChoiceField(label=_("Own field"), required=False, empty_label=_("none"),
                                   queryset=CustomField.objects.filter(is_active=True).order_by("position", "pk"))
    value = forms.CharField(label=_("has the value"), required=False, max_length=CustomField.MAX_TEXT)

    def clean(self):
        data = super().clean()
        field, value = data.get("field"), (data.get("value") or "").strip()
        if field is not None:
            if not value:
                self.add_error("value", _("Please type the value to look for in “%(field)s”.")
                               % {"field": field.label})
            else:
                try:
                    data["field_value"] = field.value_clean(value)
                except ValidationError as error:
                    self.add_error("value", error)
        elif value and "field" not in self.errors:
            self.add_error("field", _("Please pick the own field to look in."))
        return data

    def filters(self) -> dict:
        """The cleaned filters as loyalty.selectors_cardholders.cardholders_filter takes them."""
        data = self.cleaned_data
        filters = {"program": data.get("program")}
        if visit := VISITS.get(data.get("visit") or ""):
            filters["visited_within_days" if visit[0] == "within" else "not_visited_for_days"] = visit[1]
        if data.get("consent"):
            purpose, answer = data["consent"].split(":")
            filters.update(consent_purpose=purpose, consent_granted=answer == "yes")
        if data.get("field") is not None:
            filters.update(field=data["field"], field_value=data["field_value"])
        return filters

    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)

    def is_narrowed(self) -> bool:
        """Whether a filter besides the search is set (the filters then show open)."""
        return self.is_bound and any(self.data.get(name) for name in self.fields if name != "q")


# --- A person's data -----------------------------------------------------------------------------

OWN_PREFIX = "own__"


def own_form_field(field: CustomField, current=None, *, optional_said: bool = False) -> forms.Field:
    """The form field of an own field, in the back office and the portal; its value is checked by
    the field's rule (CustomField.value_clean) in the form's clean(). `optional_said` adds
    "(optional)" to the label of a field that may stay empty, for people filling in their own data."""
    label = field.label
    if optional_said and not field.required and field.kind != CustomField.Kind.CHECKBOX:
        label = _("%(label)s (optional)") % {"label": field.label}
    options = {"label": label, "required": False}
    if field.kind == CustomField.Kind.CHECKBOX:
        return forms.BooleanField(**options)
    if field.kind == CustomField.Kind.CHOICE:
        choices = [("", "–"), *((choice, choice) for choice in field.choices)]
        if current and current not in field.choices:  # a choice removed since: the value stays choosable
            choices.append((current, current))
        return forms.ChoiceField(choices=choices, **options)
    attrs = {"autocomplete": "off"}
    if field.kind == CustomField.Kind.NUMBER:
        attrs["inputmode"] = "decimal"
    elif field.kind == CustomField.Kind.DATE:
        attrs["placeholder"] = DATE_EXAMPLE
    return forms.CharField(max_length=CustomField.MAX_TEXT, widget=forms.TextInput(attrs=attrs),
                           strip=True, **options)


class CardholderForm(forms.ModelForm):
    """A person's data and the merchant's active own fields. Works on a copy of the person, so
    that the service compares what was typed with what was stored."""

    birth_date = DateTextField(label=_("Birth date"), required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254,
                             error_messages={"invalid": _("Please enter an e-mail address like anna@example.com.")})
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=10)

    class Meta:
        model = Cardholder
        fields = ["first_name", "last_name", "gender", "birth_date", "postcode", "email", "phone", "language"]
        labels = {"first_name": _("First name"), "last_name": _("Last name"), "gender": _("Gender"),
                  "language": _("Language")}
        widgets = {"first_name": forms.TextInput(attrs={"autocomplete": "off"}),
                   "last_name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, instance: Cardholder, own_fields: list[CustomField], **kwargs):
        self.own_fields = own_fields
        stored = instance.custom_data or {}
        initial = {OWN_PREFIX + field.key: self._shown(field, stored.get(field.key)) for field in own_fields}
        super().__init__(*args, instance=copy.copy(instance), initial=initial, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].max_length = 100
            self.fields[name].widget.attrs["maxlength"] = 100
        for field in own_fields:
            self.fields[OWN_PREFIX + field.key] = own_form_field(field, stored.get(field.key))

    @staticmethod
    def _shown(field: CustomField, value):
        if value is None:
            return None
        if field.kind in (CustomField.Kind.NUMBER, CustomField.Kind.DATE):
            return field.value_text(value)  # as the person would type it, in the page's language
        return value

    def own_bound_fields(self):
        return [self[OWN_PREFIX + field.key] for field in self.own_fields]

    def personal_bound_fields(self):
        return [self[name] for name in self.Meta.fields]

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not _PHONE.match(phone):
            raise ValidationError(_("Please enter a phone number with digits only, like 0171 1234567."))
        return phone

    def clean_birth_date(self):
        day = self.cleaned_data["birth_date"]
        if day is not None and not (datetime.date(1900, 1, 1) <= day <= timezone.localdate()):
            raise ValidationError(_("Please check the birth date: it lies in the future or before 1900."))
        return day

    def clean(self):
        data = super().clean()
        raw = {field.key: data.get(OWN_PREFIX + field.key) for field in self.own_fields}
        try:
            data["custom_data"] = custom_data_clean(raw, fields=self.own_fields)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                self.add_error(OWN_PREFIX + key if OWN_PREFIX + key in self.fields else None, messages)
        return data

    def personal_data(self) -> dict:
        return {name: self.cleaned_data[name] or ("" if name != "birth_date" else None)
                for name in self.Meta.fields}


# --- Actions -------------------------------------------------------------------------------------


class _KeyedForm(forms.Form):
    """A form that books: its key is made when it is shown, so that the same form sent twice
    books once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        kwargs["initial"] = {"idempotency_key": uuid.uuid4().hex, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)


def _card_field(cards: list[Card]) -> forms.ChoiceField:
    field = forms.ChoiceField(label=_("Card"), choices=[(card.number, card.number) for card in cards])
    if len(cards) == 1:
        field.widget = forms.HiddenInput()
    return field


class AnonymiseForm(forms.Form):
    """The deletion of a person's data on their request: what happens to their cards (no default:
    the person decides), and that they asked for it."""

    anonymise = forms.CharField(widget=forms.HiddenInput, initial="1")
    cards = forms.ChoiceField(
        label=_("Their cards"), widget=forms.RadioSelect,
        choices=[("keep", _("stay usable without a name (whoever holds a card can go on collecting and paying)")),
                 ("block", _("are blocked (what is left on them can no longer be redeemed)"))],
        error_messages={"required": _("Please choose what happens to the person's cards, as they wish.")})
    asked = forms.BooleanField(label=_("The person asked for the deletion of their data."),
                               error_messages={"required": _("Delete the data only when the person asked for it.")})


class CardBlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. lost at the bus stop")}))


class CardReplaceForm(_KeyedForm):
    new_card_number = forms.CharField(label=_("Number of the new, blank card"), max_length=32,
                                      widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class AdjustForm(_KeyedForm):
    """A correction of one balance: up or down, by an amount in the program's unit, with a reason."""

    card = forms.ChoiceField(label=_("Card"))
    direction = forms.ChoiceField(label=_("Correction"), widget=forms.RadioSelect, initial="add",
                                  choices=[("add", _("add to the balance")), ("take", _("take from the balance"))])
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. booked twice at the till")}),
                             error_messages={"required": _("Please give a reason for the correction.")})

    def __init__(self, *args, program: Program, cards: list[Card], **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["card"] = _card_field(cards)
        if program.behaviour.counts_money:
            self.fields["amount"] = EuroField(label=_("Amount (€)"))
        else:
            self.fields["amount"] = forms.IntegerField(
                label=_("Points") if program.kind == Program.Kind.POINTS else _("Stamps"), min_value=1,
                max_value=MAX_STAMPS if program.kind == Program.Kind.STAMPS else MAX_AMOUNT,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={"invalid": _("Please enter a whole number, such as 5.")})
        self.order_fields(["card", "direction", "amount", "reason"])

    def signed_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        return amount if self.cleaned_data["direction"] == "add" else -amount


class VoucherForm(_KeyedForm):
    card = forms.ChoiceField(label=_("Card"))
    amount = EuroField(label=_("Value (€)"))

    def __init__(self, *args, program: Program, cards: list[Card], **kwargs):
        if program.voucher_value_cents:
            kwargs["initial"] = {"amount": program.voucher_value_cents, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["card"] = _card_field(cards)
        self.order_fields(["card", "amount"])


class ConsentForm(forms.Form):
    """A consent given or withdrawn outside the portal and the till (on paper, by phone): with the
    version of the wording the person was shown, the current one unless an earlier one is picked
    (a paper form printed before the wording changed)."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    granted = forms.TypedChoiceField(label=_("The person has"), widget=forms.RadioSelect,
                                     coerce=lambda value: value == "yes",
                                     choices=[("yes", _("given their consent")), ("no", _("withdrawn it"))])
    wording = forms.ChoiceField(label=_("Wording the person was shown"), required=False,
                                help_text=_("Pick an earlier version only if the person signed a form with its words."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = consent_wordings_current()
        groups = {}
        for wording in ConsentWording.objects.order_by("purpose", "-version"):
            label = (_("version %(version)d (current), since %(day)s") if current.get(wording.purpose) == wording
                     else _("version %(version)d, from %(day)s")) % {
                "version": wording.version, "day": formats.date_format(timezone.localtime(wording.created_at),
                                                                      "SHORT_DATE_FORMAT")}
            groups.setdefault(wording.purpose, []).append((f"{wording.purpose}:{wording.version}", label))
        self.fields["wording"].choices = [("", _("the current wording of the purpose"))] + [
            (str(Consent.Purpose(purpose).label).capitalize(), options) for purpose, options in groups.items()]

    def clean(self):
        data = super().clean()
        data["wording_version"] = None
        if data.get("wording") and data.get("purpose"):
            purpose, version = data["wording"].split(":")
            if purpose != data["purpose"]:
                self.add_error("wording", _("This version is a wording of another purpose: please pick one of "
                                            "“%(purpose)s” or the current wording.")
                               % {"purpose": Consent.Purpose(data["purpose"]).label})
            else:
                data["wording_version"] = int(version)
        return data

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("purpose", "granted", "wording_version")}


# --- Own fields ----------------------------------------------------------------------------------


class ChoicesField(forms.CharField):
    """The choices of a selection list, one per line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(max_length=10_000, **kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()]


class CustomFieldForm(forms.Form):
    """An own field's definition; the rules (key, choices) are the service's, shown next to the field."""

    label = forms.CharField(label=_("Name of the field"), max_length=80,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. Favourite bread")}))
    kind = forms.ChoiceField(label=_("Type"), choices=CustomField.Kind.choices)
    choices = ChoicesField(label=_("Choices, one per line"), required=False,
                           help_text=_("For a selection list only."))
    required = forms.BooleanField(label=_("Required: every cardholder must have a value"), required=False)
    at_registration = forms.BooleanField(label=_("Asked when a card is registered"), required=False)
    position = forms.IntegerField(label=_("Position in forms and lists"), required=False, min_value=0,
                                  max_value=999)
    key = forms.CharField(label=_("Key (for imports and exports)"), required=False, max_length=40,
                          help_text=_("Made from the name if left empty. It cannot be changed later."),
                          widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def __init__(self, *args, field: CustomField | None = None, **kwargs):
        if field is not None:
            kwargs["initial"] = {name: getattr(field, name) for name in
                                 ("label", "kind", "choices", "required", "at_registration", "position", "key")}
        super().__init__(*args, **kwargs)
        self.field = field
        if field is not None:  # key and type stay as created: stored values keep their meaning
            del self.fields["key"], self.fields["kind"]

    def values(self) -> dict:
        values = dict(self.cleaned_data)
        if self.field is not None and values.get("position") is None:
            values["position"] = self.field.position
        return values
