"""A card's Apple Wallet pass, built from the ledger when it is asked for: pass.json (a store card
with the balances of every program, the card number as a Code 128 barcode, the merchant's colours),
the icon and logo images, the texts in German and English (de.lproj and en.lproj), manifest.json
with the SHA-1 of every file, and a detached PKCS#7 signature over the manifest that carries the
intermediate (WWDR) certificate. Nothing of a pass is stored but its row (loyalty.models.WalletPass).

The texts of pass.json are in the project's language (German); each <language>.lproj/pass.strings
maps them to that language, so a phone shows the pass in its own language of the two (a value such
as "12 Punkte" is a key there too, as Wallet allows)."""
import datetime
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from loyalty.catalog import catalog
from loyalty.models import Card
from loyalty.selectors import account_state, cards_with_accounts
from loyalty.services.shop import MIN_CONTRAST, WHITE, Branding, contrast_ratio, shop_branding
from loyalty.wallet.certificates import Signer, signer

MIME_TYPE = "application/vnd.apple.pkpass"
TOKEN_SALT = "loyalty.wallet.authentication-token"
# A store card shows one primary field and at most four secondary and auxiliary fields together.
SECONDARY_FIELDS = 2
AUXILIARY_FIELDS = 2
# Sizes in points (Apple's "Pass Design and Creation"); each image comes at 1x, 2x and 3x.
ICON_SIZE = (29, 29)
LOGO_SIZE = (160, 50)
SCALES = (1, 2, 3)


# --- The authentication token ------------------------------------------------------------------

def authentication_token(serial_number: str, *, secret: str | None = None) -> str:
    """The token a phone presents for this pass (`Authorization: ApplePass <token>`): a keyed hash
    of the merchant's schema and the serial number, so it differs between merchants and cards and
    nothing needs storing. Rotating DJANGO_SECRET_KEY keeps the old key in SECRET_KEY_FALLBACKS
    for passes already handed out."""
    value = f"{connection.schema_name}:{serial_number}"
    return salted_hmac(TOKEN_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def authentication_token_valid(serial_number: str, presented: str) -> bool:
    """Whether `presented` is this pass's token, under the current key or a fallback; compared in
    constant time."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    presented_bytes = presented.encode("utf-8", "replace")
    matches = [hmac.compare_digest(authentication_token(serial_number, secret=secret).encode(), presented_bytes)
               for secret in secrets]
    return any(matches)


# --- What the pass shows -----------------------------------------------------------------------

@dataclass(frozen=True)
class PassField:
    key: str
    label: str
    value: str
    change_message: str = ""
    is_date: bool = False  # the value is an ISO 8601 time, which the phone writes in its own way

    def json(self) -> dict:
        data = {"key": self.key, "label": self.label, "value": self.value}
        if self.change_message:
            data["changeMessage"] = self.change_message
        if self.is_date:
            data.update(dateStyle="PKDateStyleMedium", timeStyle="PKDateStyleShort")
        return data

    def localisable(self) -> list[str]:
        return [self.label, *([] if self.is_date else [self.value]),
                *([self.change_message] if self.change_message else [])]


@dataclass(frozen=True)
class PassTexts:
    """Everything of a pass that is read, in the active language."""

    description: str
    primary: list[PassField]
    secondary: list[PassField]
    auxiliary: list[PassField]
    back: list[PassField]
    localisable: list[str] = field(default_factory=list)


def pass_balances(card: Card) -> list[tuple[object, int]]:
    """(program, balance) for every active program, in the order of the program kinds: what can be
    spent now (lots that have expired but are not booked away yet do not count)."""
    with_accounts = cards_with_accounts().get(pk=card.pk)
    accounts = {account.program_id: account for account in with_accounts.accounts.all()}
    programs = sorted(catalog().active_programs(), key=lambda program: (program.behaviour.order, program.pk))
    return [(program, account_state(accounts.get(program.pk)).available) for program in programs]


def pass_texts(card: Card, *, balances: list[tuple[object, int]], branding: Branding, portal_url: str,
               updated_at: datetime.datetime | None = None) -> PassTexts:
    """The pass's texts in the active language."""
    number_field = PassField("card-number", _("Card number"), card.number)
    balance_fields = [PassField(f"program-{program.pk}", program.name, program.behaviour.balance_text(balance),
                               change_message=_("New balance: %@")) for program, balance in balances]
    if balance_fields:
        primary, rest = balance_fields[:1], balance_fields[1:]
    else:
        primary, rest = [number_field], []
    secondary = rest[:SECONDARY_FIELDS]
    auxiliary = rest[SECONDARY_FIELDS:SECONDARY_FIELDS + AUXILIARY_FIELDS]
    back = [number_field] if balance_fields else []
    # Every balance again on the back, without a change message (the front's fields announce it).
    back += [PassField(f"back-{item.key}", item.label, item.value) for item in balance_fields]
    if card.status != Card.Status.ACTIVE:
        back.append(PassField("card-status", _("Card status"), card.get_status_display()))
    if updated_at is not None:
        back.append(PassField("updated", _("Balances as of"), updated_at.isoformat(timespec="seconds"), is_date=True))
    back.append(PassField("portal", _("Your card online"), portal_url))
    description = _("Customer card of %(merchant)s") % {"merchant": branding.name}
    localisable = [description]
    for item in primary + secondary + auxiliary + back:
        localisable += item.localisable()
    return PassTexts(description=description, primary=primary, secondary=secondary, auxiliary=auxiliary,
                     back=back, localisable=localisable)


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def pass_colours(branding: Branding) -> dict[str, str]:
    """The merchant's main colour as the background, with white text (the branding's rules keep
    that readable); labels in the merchant's background colour where that reads as well, else white."""
    label = branding.background_colour if contrast_ratio(branding.background_colour,
                                                         branding.primary_colour) >= MIN_CONTRAST else WHITE
    return {"backgroundColor": _rgb(branding.primary_colour), "foregroundColor": _rgb(WHITE),
            "labelColor": _rgb(label)}


def pass_json(card: Card, texts: PassTexts, *, branding: Branding, web_service_url: str) -> dict:
    barcode = {"message": card.number, "format": "PKBarcodeFormatCode128", "messageEncoding": "iso-8859-1",
               "altText": card.number}
    data = {
        "formatVersion": 1,
        "passTypeIdentifier": settings.WALLET_PASS_TYPE_ID,
        "teamIdentifier": settings.WALLET_TEAM_ID,
        "serialNumber": card.number,
        "organizationName": branding.name,
        "description": texts.description,
        "logoText": branding.name,
        **pass_colours(branding),
        "storeCard": {group: [item.json() for item in items] for group, items in (
            ("primaryFields", texts.primary), ("secondaryFields", texts.secondary),
            ("auxiliaryFields", texts.auxiliary), ("backFields", texts.back)) if items},
        "barcodes": [barcode],
        # For iOS before 9, which reads only this key and knows no Code 128 (Apple allows QR,
        # PDF417 and Aztec here): the same number as PDF417.
        "barcode": {**barcode, "format": "PKBarcodeFormatPDF417"},
        "webServiceURL": web_service_url,
        "authenticationToken": authentication_token(card.number),
        # The barcode is the card: a copy AirDropped to someone else would book on it.
        "sharingProhibited": True,
    }
    if card.status != Card.Status.ACTIVE:
        data["voided"] = True  # blocked or replaced: the phone shows the pass as no longer valid
    return data


# --- Images ------------------------------------------------------------------------------------

def _png(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _fitted(logo: Image.Image, size: tuple[int, int]) -> Image.Image:
    copy = logo.copy()
    copy.thumbnail(size, Image.Resampling.LANCZOS)
    return copy


def _icon_from_logo(logo: Image.Image, side: int) -> Image.Image:
    """The logo centred on a white square with a little margin."""
    square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    inner = _fitted(logo, (round(side * 0.86), round(side * 0.86)))
    square.alpha_composite(inner, ((side - inner.width) // 2, (side - inner.height) // 2))
    return square


def _icon_drawn(colour: str, side: int) -> Image.Image:
    """Without a logo: a card drawn in white on the merchant's main colour."""
    square = Image.new("RGBA", (side, side), colour)
    draw = ImageDraw.Draw(square)
    left, top, right, bottom = side * 0.16, side * 0.28, side * 0.84, side * 0.72
    width = max(1, round(side / 14))
    draw.rounded_rectangle((left, top, right, bottom), radius=side * 0.08, outline=WHITE, width=width)
    stripe = top + (bottom - top) * 0.3
    draw.rectangle((left, stripe, right, stripe + width * 1.5), fill=WHITE)
    return square


def pass_images(branding: Branding) -> dict[str, bytes]:
    """icon.png (required) and, with the merchant's logo, logo.png, each at 1x, 2x and 3x."""
    logo = None
    if branding.logo_png:
        with Image.open(io.BytesIO(branding.logo_png)) as opened:
            logo = opened.convert("RGBA")
    images = {}
    for scale in SCALES:
        suffix = "" if scale == 1 else f"@{scale}x"
        side = ICON_SIZE[0] * scale
        icon = _icon_from_logo(logo, side) if logo else _icon_drawn(branding.primary_colour, side)
        images[f"icon{suffix}.png"] = _png(icon)
        if logo:
            images[f"logo{suffix}.png"] = _png(_fitted(logo, (LOGO_SIZE[0] * scale, LOGO_SIZE[1] * scale)))
    return images


# --- Localisation ------------------------------------------------------------------------------

def _strings_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def pass_strings(pairs: dict[str, str]) -> bytes:
    """A pass.strings file (UTF-16, as Apple's strings files are): `"key" = "text";` per line."""
    lines = [f"{_strings_quoted(key)} = {_strings_quoted(text)};" for key, text in pairs.items()]
    return ("\n".join(lines) + "\n").encode("utf-16")


# --- The package -------------------------------------------------------------------------------

def manifest(files: dict[str, bytes]) -> bytes:
    return json.dumps({name: hashlib.sha1(content).hexdigest() for name, content in files.items()},
                      sort_keys=True).encode()


def signature(manifest_json: bytes, signing: Signer) -> bytes:
    """The detached PKCS#7 signature (DER) over manifest.json, with the pass type's certificate and
    the intermediate one in it, as Wallet checks it."""
    return (pkcs7.PKCS7SignatureBuilder().set_data(manifest_json)
            .add_signer(signing.certificate, signing.key, hashes.SHA256())
            .add_certificate(signing.intermediate)
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))


def pass_files(card: Card, *, site_url: str, updated_at: datetime.datetime | None = None) -> dict[str, bytes]:
    """Every file of the card's pass but the manifest and signature. `site_url` is the merchant's
    host as the phone reaches it (https://<host>/): the web service lives below it at /wallet/."""
    branding = shop_branding()
    portal_url = f"{site_url.rstrip('/')}/card/"
    described = {"balances": pass_balances(card), "branding": branding, "portal_url": portal_url,
                 "updated_at": updated_at}
    with translation.override(settings.LANGUAGE_CODE):
        texts = pass_texts(card, **described)
        data = pass_json(card, texts, branding=branding, web_service_url=f"{site_url.rstrip('/')}/wallet/")
    files = {"pass.json": json.dumps(data, ensure_ascii=False, indent=2).encode()}
    files.update(pass_images(branding))
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translated = pass_texts(card, **described).localisable
        pairs = dict(zip(texts.localisable, translated, strict=True))
        files[f"{language}.lproj/pass.strings"] = pass_strings(pairs)
    return files


def pass_package(card: Card, *, site_url: str, updated_at: datetime.datetime | None = None) -> bytes:
    """The signed .pkpass (a ZIP) of the card, with its balances as they are now."""
    files = pass_files(card, site_url=site_url, updated_at=updated_at)
    files["manifest.json"] = manifest(files)
    files["signature"] = signature(files["manifest.json"], signer())
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_zip_time()), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()


def _zip_time() -> tuple:
    return timezone.localtime().timetuple()[:6]
