"""VAT on invoices: the rate or reverse charge for a customer, the VAT id check that decides it,
and the one rounding to cents."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from stdnum.eu import vat as eu_vat

HOME_COUNTRY = "DE"
# ISO 3166 codes of the EU member states (Greece is GR here; its VAT ids start with EL).
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
VAT_ID_PREFIX = {"GR": "EL"}
# The wording § 14a Abs. 5 UStG asks for, with its legal basis; it stays German (with the English
# term) in every language, like the rest of the invoice.
REVERSE_CHARGE_NOTE = (
    "Steuerschuldnerschaft des Leistungsempfängers (§ 13b UStG) / "
    "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)"
)

# The VAT categories of EN 16931 (UNCL 5305) that our invoices use.
STANDARD_RATE = "S"
REVERSE_CHARGE = "AE"
REVERSE_CHARGE_EXEMPTION_CODE = "VATEX-EU-AE"


@dataclass(frozen=True)
class VatTreatment:
    rate_percent: Decimal
    reverse_charge: bool
    note: str

    @property
    def category(self) -> str:
        return REVERSE_CHARGE if self.reverse_charge else STANDARD_RATE


def cents_round(amount: Decimal) -> int:
    """The only place a Decimal becomes cents: half up, as German invoices round."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vat_id_normalized(vat_id: str) -> str:
    """Upper case without spaces, dots or dashes: `de 811 907 980` → `DE811907980`."""
    return eu_vat.compact(vat_id) if vat_id.strip() else ""


def vat_id_valid(*, country: str, vat_id: str) -> bool:
    """An EU VAT id of the country's format with a right check digit (what can be checked
    offline; whether the id is registered to the customer is a VIES query)."""
    vat_id = vat_id_normalized(vat_id)
    prefix = VAT_ID_PREFIX.get(country.upper(), country.upper())
    return country.upper() in EU_COUNTRIES and vat_id.startswith(prefix) and eu_vat.is_valid(vat_id)


def vat_id_required(*, country: str) -> bool:
    """Businesses elsewhere in the EU are billed under reverse charge, which needs their VAT id."""
    return country.upper() in EU_COUNTRIES - {HOME_COUNTRY}


def vat_treatment(*, country: str, vat_id: str) -> VatTreatment:
    """A business elsewhere in the EU with a valid VAT id owes the VAT itself; everyone else pays
    ours."""
    if vat_id_required(country=country) and vat_id_valid(country=country, vat_id=vat_id):
        return VatTreatment(rate_percent=Decimal(0), reverse_charge=True, note=REVERSE_CHARGE_NOTE)
    return VatTreatment(rate_percent=settings.BILLING_VAT_RATE_PERCENT, reverse_charge=False, note="")


def vat_cents(*, net_cents: int, rate_percent: Decimal) -> int:
    return cents_round(Decimal(net_cents) * rate_percent / 100)
