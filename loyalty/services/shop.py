"""The merchant's settings: the till's limits, the company data of the portal's legal pages and the
branding (logo, colours, welcome text) of the till, the portal and printed cards. Every change is
audited with before and after; the rules (contrast, logo) are checked here, for every caller."""
import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.models import ShopSettings
from loyalty.services.audit import audit_record
from tenants.selectors import merchant_current

# What an owner can sensibly upload from a phone or a designer; the PNG kept is much smaller.
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}
# A small file may declare a huge image (a decompression bomb); nothing beyond this is decoded.
LOGO_MAX_PIXELS = 25_000_000
LOGO_MAX_SIDE = 512

# WCAG 2.1 contrast for normal text (success criterion 1.4.3, level AA).
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
# The colour of body text on the portal and in the back office (static/css/app.css, --ink).
TEXT_COLOUR = "#1d1d1f"

# The fields this module writes; `two_factor_required` belongs to the staff pages.
TILL_FIELDS = ("reversal_window_minutes", "plausibility_limit_cents", "hard_maximum_cents")
COMPANY_FIELDS = ("legal_name", "represented_by", "street", "postal_code", "city", "contact_email",
                  "contact_phone", "vat_id", "register_entry", "privacy_contact")
BRANDING_FIELDS = ("primary_colour", "background_colour", "welcome_text")
SETTINGS_FIELDS = TILL_FIELDS + COMPANY_FIELDS + BRANDING_FIELDS

# What § 5 DDG asks of every Impressum (the VAT id and register entry only where there is one).
IMPRINT_REQUIRED = ("legal_name", "represented_by", "street", "postal_code", "city", "contact_email")


# --- Rules ----------------------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2.1)."""
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def colours_check(*, primary_colour: str, background_colour: str) -> None:
    """White text on the main colour (the header, buttons) and text on the background colour
    must be readable; refused with the ratio found, per field."""
    errors = {}
    on_primary = contrast_ratio(primary_colour, WHITE)
    if on_primary < MIN_CONTRAST:
        errors["primary_colour"] = _(
            "White text on this colour has a contrast of only %(ratio)s:1; at least %(minimum)s:1 is "
            "needed to be readable. Choose a darker colour.") % {
            "ratio": _ratio_text(on_primary), "minimum": _ratio_text(MIN_CONTRAST)}
    on_background = contrast_ratio(TEXT_COLOUR, background_colour)
    if on_background < MIN_CONTRAST:
        errors["background_colour"] = _(
            "Text on this background has a contrast of only %(ratio)s:1; at least %(minimum)s:1 is "
            "needed to be readable. Choose a lighter colour.") % {
            "ratio": _ratio_text(on_background), "minimum": _ratio_text(MIN_CONTRAST)}
    if errors:
        raise ValidationError(errors)


def _ratio_text(ratio: float) -> str:
    return number_format(int(ratio * 10) / 10, 1)  # rounded down: 4.49 is not 4.5


def limits_check(*, plausibility_limit_cents: int, hard_maximum_cents: int) -> None:
    if hard_maximum_cents < plausibility_limit_cents:
        raise ValidationError({"hard_maximum_cents": _(
            "The maximum cannot be below the amount above which the till asks for a confirmation.")})


def logo_reencode(upload) -> bytes:
    """The uploaded image as a new PNG of at most 512 px a side, without the upload's metadata
    (EXIF, GPS, comments) or any bytes of the upload itself. Refuses anything but PNG, JPEG or
    WebP, files over 2 MB and images that would decode to more than 25 megapixels."""
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo may be at most 2 MB; this file has %(size)s MB.") % {
            "size": f"{upload.size / 1024 / 1024:.1f}"}, code="logo_too_large")
    refused = ValidationError(_("This file is not a PNG, JPEG or WebP image. Upload the logo in one "
                                "of these formats."), code="logo_format")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=sorted(LOGO_FORMATS)) as image:
                if image.width * image.height > LOGO_MAX_PIXELS:
                    raise _bomb(image)
                image.load()
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(None) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise refused from None
    image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", image.size)
    clean.paste(image)
    output = io.BytesIO()
    clean.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _bomb(image) -> ValidationError:
    return ValidationError(_("This image is too large to open safely (at most 25 megapixels, "
                             "e.g. 5000 × 5000 pixels). Save it smaller and upload it again."),
                           code="logo_too_many_pixels")


# --- Writes ---------------------------------------------------------------------------------------

def _locked() -> ShopSettings:
    ShopSettings.objects.get_or_create(pk=1)
    return ShopSettings.objects.select_for_update().get(pk=1)


@transaction.atomic
def shop_settings_update(*, actor: Actor, **changes) -> ShopSettings:
    """Change some of the settings (keyword per field of SETTINGS_FIELDS); only what differs is
    written and audited."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not settings of this page: {sorted(unknown)}")
    settings = _locked()
    merged = {name: changes.get(name, getattr(settings, name)) for name in SETTINGS_FIELDS}
    limits_check(plausibility_limit_cents=merged["plausibility_limit_cents"],
                 hard_maximum_cents=merged["hard_maximum_cents"])
    colours_check(primary_colour=merged["primary_colour"], background_colour=merged["background_colour"])
    before = {name: getattr(settings, name) for name, value in changes.items() if getattr(settings, name) != value}
    if not before:
        return settings
    for name in before:
        setattr(settings, name, changes[name])
    settings.full_clean(exclude=["logo_png"])
    settings.save(update_fields=[*before, "updated_at"])
    audit_record(actor=actor, action="settings.change", target=settings,
                 before=before, after={name: changes[name] for name in before})
    return settings


@transaction.atomic
def shop_logo_replace(*, upload, actor: Actor) -> ShopSettings:
    """The upload, checked and re-encoded (logo_reencode), becomes the logo."""
    png = logo_reencode(upload)
    settings = _locked()
    before = _logo_fingerprint(settings.logo_png)
    settings.logo_png = png
    settings.save(update_fields=["logo_png", "updated_at"])
    audit_record(actor=actor, action="settings.logo", target=settings,
                 before={"logo": before}, after={"logo": _logo_fingerprint(png), "bytes": len(png)})
    return settings


@transaction.atomic
def shop_logo_remove(*, actor: Actor) -> ShopSettings:
    settings = _locked()
    if settings.logo_png is None:
        return settings
    before = _logo_fingerprint(settings.logo_png)
    settings.logo_png = None
    settings.save(update_fields=["logo_png", "updated_at"])
    audit_record(actor=actor, action="settings.logo", target=settings, before={"logo": before},
                 after={"logo": None})
    return settings


def _logo_fingerprint(png) -> str | None:
    return hashlib.sha256(bytes(png)).hexdigest()[:12] if png else None


# --- Reads ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Branding:
    """What the till, the portal and printed cards show of the merchant: its name, logo (a PNG of
    at most 512 px, or None), colours and welcome text."""

    name: str
    primary_colour: str
    background_colour: str
    text_colour: str
    welcome_text: str
    logo_png: bytes | None
    logo_version: str | None

    @property
    def logo_url(self) -> str | None:
        """On the merchant's host; the version changes with the logo, so it may be cached for long."""
        return f"/logo/{self.logo_version}.png" if self.logo_version else None


def shop_branding() -> Branding:
    """The current merchant's branding, read through the catalog (no query on most calls)."""
    settings = catalog().settings
    logo = bytes(settings.logo_png) if settings.logo_png else None
    return Branding(
        name=merchant_current().name, primary_colour=settings.primary_colour,
        background_colour=settings.background_colour, text_colour=TEXT_COLOUR,
        welcome_text=settings.welcome_text, logo_png=logo, logo_version=_logo_fingerprint(logo),
    )


@dataclass(frozen=True)
class LegalDetails:
    """The company data of the portal's Impressum and privacy page, and what of it is missing."""

    settings: ShopSettings
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def missing_labels(self) -> list[str]:
        return [str(ShopSettings._meta.get_field(name).verbose_name) for name in self.missing]


def shop_legal_details() -> LegalDetails:
    settings = catalog().settings
    return LegalDetails(settings=settings,
                        missing=tuple(name for name in IMPRINT_REQUIRED if not getattr(settings, name).strip()))
