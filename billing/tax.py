"""VAT on invoices: the rate or reverse charge for a customer, and the one rounding to cents."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

HOME_COUNTRY = "DE"
# ISO 3166 codes of the EU member states (Greece is GR here; its VAT ids start with EL).
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# The wording § 14a UStG asks for; it stays German (with the English term) in every language.
REVERSE_CHARGE_NOTE = "Steuerschuldnerschaft des Leistungsempfängers / reverse charge"


@dataclass(frozen=True)
class VatTreatment:
    rate_percent: Decimal
    reverse_charge: bool
    note: str


def cents_round(amount: Decimal) -> int:
    """The only place a Decimal becomes cents: half up, as German invoices round."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vat_treatment(*, country: str, vat_id: str) -> VatTreatment:
    """A business elsewhere in the EU with a VAT id owes the VAT itself; everyone else pays ours."""
    if country.upper() in EU_COUNTRIES - {HOME_COUNTRY} and vat_id.strip():
        return VatTreatment(rate_percent=Decimal(0), reverse_charge=True, note=REVERSE_CHARGE_NOTE)
    return VatTreatment(rate_percent=settings.BILLING_VAT_RATE_PERCENT, reverse_charge=False, note="")


def vat_cents(*, net_cents: int, rate_percent: Decimal) -> int:
    return cents_round(Decimal(net_cents) * rate_percent / 100)
