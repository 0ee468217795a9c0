"""The back office's forms for programs, rewards, bonus actions and voucher sales: the fields of
each program kind, amounts typed in euros as at the till, and the rules of
loyalty.services.programs shown next to the field they concern."""
import re
import uuid
from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from loyalty.models import BonusAction, Program, Reward
from loyalty.services.programs import (
    bonus_action_check,
    program_check,
    reward_check,
)
from loyalty.units import money_text
from tenants.widgets import DateInput

# "12", "12,5", "12.50": as the till reads an amount (static/js/pos.js), whatever the language.
_EUROS = re.compile(r"^(\d{1,6})(?:[.,](\d{1,2}))?$")
# Values in a list: "10, 25, 50" or "10; 25; 50" or "10 25 50"; "12,50" is one value.
_LIST_SEPARATOR = re.compile(r";|,\s+|\s+")
AMOUNT_INVALID = _("Please enter an amount in euros, such as 12,50.")
AMOUNT_NOT_POSITIVE = _("The amount must be more than zero.")


def euros_text(cents: int) -> str:
    """Cents as the field shows them: `12,50` in German, `12.50` in English, `25` when whole."""
    if cents % 100 == 0:
        return str(cents // 100)
    return number_format(Decimal(cents) / 100, 2)


def cents_from_euros(text: str) -> int:
    match = _EUROS.match(text.strip())
    if not match:
        raise forms.ValidationError(AMOUNT_INVALID, code="invalid")
    cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
    if cents <= 0:
        raise forms.ValidationError(AMOUNT_NOT_POSITIVE, code="not_positive")
    return cents


class EuroField(forms.CharField):
    """An amount typed in euros, cleaned to cents (None when left empty)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return euros_text(value) if isinstance(value, int) else value

    def to_python(self, value):
        text = super().to_python(value)
        return cents_from_euros(text) if text else None


class EuroListField(forms.CharField):
    """Several amounts in euros ("10, 25, 50"), cleaned to a sorted list of cents."""

    MAX_VALUES = 6

    def prepare_value(self, value):
        return ", ".join(euros_text(cents) for cents in value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        values = set()
        for part in filter(None, _LIST_SEPARATOR.split(text or "")):
            try:
                values.add(cents_from_euros(part))
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(value)s” is not an amount in euros. Separate the values with a comma and "
                      "a space: 10, 25, 50."), params={"value": part}, code="invalid") from None
        if len(values) > self.MAX_VALUES:
            raise forms.ValidationError(_("At most %(count)s values."), params={"count": self.MAX_VALUES})
        return sorted(values)


# --- Programs ------------------------------------------------------------------------------------


class ProgramForm(forms.ModelForm):
    """The settings every kind has; each kind's form adds its own."""

    class Meta:
        model = Program
        fields = ["name"]

    def clean(self):
        cleaned = super().clean()
        program_check(**cleaned)
        return cleaned


class PointsProgramForm(ProgramForm):
    class Meta(ProgramForm.Meta):
        fields = ["name", "points_per_euro", "rounding", "expiry", "expiry_months", "expiry_years",
                  "reminder_days", "points_on_top_ups", "points_on_voucher_sales",
                  "points_on_prepaid_payments"]
        widgets = {"points_per_euro": forms.NumberInput(attrs={"step": "0.001", "min": "0"})}
        help_texts = {"reminder_days": _("Cardholders with an e-mail address are reminded this many "
                                         "days before their points expire.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expiry_months"].validators.append(_at_least_one)
        self.fields["reminder_days"].validators.append(_at_most(365))
        # static/js/manage-programs.js shows these only with the expiry they belong to.
        self.fields["expiry_months"].widget.attrs["data-shown-when"] = "expiry=rolling_months"
        self.fields["expiry_years"].widget.attrs["data-shown-when"] = "expiry=year_end"
        self.fields["reminder_days"].widget.attrs["data-shown-when"] = "expiry=rolling_months year_end"
        if self.instance.pk and not self.is_bound:
            # 1 rather than 1.000, which reads as a thousand in German.
            self.initial["points_per_euro"] = rate_plain(self.instance.points_per_euro)
        self.fields["expiry_years"].validators.append(_at_most(30))


class PrepaidProgramForm(ProgramForm):
    max_top_up_cents = EuroField(label=_("Highest top-up (€)"), required=False,
                                 help_text=_("Empty: no limit."))
    max_balance_cents = EuroField(label=_("Highest balance on a card (€)"), required=False,
                                  help_text=_("Empty: no limit."))

    class Meta(ProgramForm.Meta):
        fields = ["name", "max_top_up_cents", "max_balance_cents"]


class StampsProgramForm(ProgramForm):
    class Meta(ProgramForm.Meta):
        fields = ["name", "stamps_per_reward", "stamp_reward"]
        labels = {"stamp_reward": _("Reward for a full card")}
        help_texts = {"stamp_reward": _("As the till shows it, e.g. “A free coffee”.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stamp_reward"].required = True
        self.fields["stamps_per_reward"].validators += [_at_least_one, _at_most(100)]


class VoucherProgramForm(ProgramForm):
    voucher_presets = EuroListField(
        label=_("Values offered at the till (€)"), required=False,
        help_text=_("Separated by a comma and a space, e.g. 10, 25, 50."))
    voucher_value_cents = EuroField(label=_("Usual value (€)"), required=False,
                                    help_text=_("Pre-selected when a voucher is sold."))

    class Meta(ProgramForm.Meta):
        fields = ["name", "voucher_presets", "voucher_value_cents", "partial_redemption",
                  "voucher_validity_years", "voucher_purpose"]
        widgets = {"voucher_purpose": forms.RadioSelect}
        labels = {"partial_redemption": _("Can be redeemed in parts")}
        help_texts = {
            "voucher_validity_years": _("Valid to the end of the year this many years after the sale. "
                                        "Empty: the legal rule of your country."),
            "voucher_purpose": _("This decides when VAT is due: for a multi-purpose voucher when it "
                                 "is redeemed, for a single-purpose voucher (one kind of goods at "
                                 "one VAT rate) already when it is sold."),
        }


def rate_plain(rate: Decimal) -> Decimal:
    """A rate without trailing zeros: 1.000 → 1, 2.500 → 2.5."""
    return rate.quantize(Decimal(1)) if rate == rate.to_integral() else rate.normalize()


def _at_least_one(value):
    if value is not None and value < 1:
        raise forms.ValidationError(_("At least 1."))


def _at_most(maximum: int):
    def check(value):
        if value is not None and value > maximum:
            raise forms.ValidationError(_("At most %(maximum)s."), params={"maximum": maximum})

    return check


# The form of each kind's settings.
PROGRAM_FORMS: dict[str, type[ProgramForm]] = {
    Program.Kind.POINTS: PointsProgramForm,
    Program.Kind.PREPAID: PrepaidProgramForm,
    Program.Kind.STAMPS: StampsProgramForm,
    Program.Kind.VOUCHER: VoucherProgramForm,
}


# --- Rewards and bonus actions -------------------------------------------------------------------


def _points_programs():
    return Program.objects.filter(kind=Program.Kind.POINTS).order_by("pk")


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = ["program", "name", "points", "is_active"]
        help_texts = {"name": _("As the till shows it, e.g. “A coffee”.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = _points_programs()
        self.fields["program"].empty_label = None
        if self.instance.pk is None:
            del self.fields["is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("program") is not None:
            reward_check(program=cleaned["program"], points=cleaned.get("points"))
        return cleaned


class BonusActionForm(forms.ModelForm):
    class Meta:
        model = BonusAction
        fields = ["program", "kind", "name", "multiplier", "points", "starts_on", "ends_on", "is_active"]
        widgets = {"kind": forms.RadioSelect, "starts_on": DateInput(),
                   "ends_on": DateInput(),
                   "multiplier": forms.NumberInput(attrs={"step": "0.01", "min": "1"})}
        help_texts = {
            "multiplier": _("For a multiplier: 2 gives double points on every purchase in the period."),
            "points": _("For a birthday or sign-up bonus: the points given once."),
            "starts_on": _("A multiplier needs a start and an end; a birthday or sign-up bonus "
                           "without dates runs until you deactivate it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = _points_programs()
        self.fields["program"].empty_label = None
        self.fields["kind"].choices = BonusAction.Kind.choices
        self.fields["multiplier"].widget.attrs["data-shown-when"] = "kind=multiplier"
        self.fields["points"].widget.attrs["data-shown-when"] = "kind=birthday sign_up"
        # The rule (multiplier of at least 1) is explained by bonus_action_check, in plain words.
        self.fields["multiplier"].validators = []
        self.fields["multiplier"].widget.attrs.pop("min", None)
        if self.instance.pk is None:
            del self.fields["is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("program") is not None and cleaned.get("kind"):
            bonus_action_check(program=cleaned["program"], kind=cleaned["kind"],
                               multiplier=cleaned.get("multiplier"), points=cleaned.get("points"),
                               starts_on=cleaned.get("starts_on"), ends_on=cleaned.get("ends_on"),
                               is_active=cleaned.get("is_active", True), action=self.instance)
        return cleaned


# --- Voucher sales -------------------------------------------------------------------------------


class VoucherSaleForm(forms.Form):
    """A voucher for a card: a preset value or one typed; the key is made when the form is shown,
    so that the same sale sent twice books once."""

    card_number = forms.CharField(label=_("Card number"), max_length=40, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}))
    program = forms.ModelChoiceField(queryset=Program.objects.none(), widget=forms.HiddenInput)
    preset = forms.TypedChoiceField(coerce=int, required=False, widget=forms.RadioSelect,
                                    label=_("Value"))
    amount_cents = EuroField(label=_("or another value (€)"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, program: Program, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"idempotency_key": uuid.uuid4().hex, "program": program.pk,
                             "preset": program.voucher_value_cents, **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(
            kind=Program.Kind.VOUCHER, is_active=True)
        self.fields["preset"].choices = [(cents, money_text(cents)) for cents in program.voucher_presets]
        if not program.voucher_presets:
            del self.fields["preset"]
            self.fields["amount_cents"].label = _("Value (€)")

    def clean(self):
        cleaned = super().clean()
        amount = cleaned.get("amount_cents") or cleaned.get("preset")
        if not amount and "amount_cents" not in self.errors:
            self.add_error("amount_cents", _("Pick a value or type one."))
        cleaned["amount"] = amount
        return cleaned
