"""The .pkpass a cardholder downloads: a ZIP whose manifest hashes match its files and whose
detached PKCS#7 signature verifies with `openssl smime -verify` against the configured chain (the
intermediate certificate inside it); the card number as its barcode; the balances of every program,
the merchant's colours and logo, and the texts in German and English."""
import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from loyalty.actors import Actor
from loyalty.models import Card, Program, WalletPass
from loyalty.services.bookings import booking_earn, booking_stamp, booking_top_up
from loyalty.services.shop import shop_logo_replace, shop_settings_update
from loyalty.wallet.passes import authentication_token
from portal.tests.wallet.conftest import Pkpass
from tests.support.factories import ProgramFactory

pytestmark = pytest.mark.django_db

TILL = Actor(label="test")


def _openssl_verify(folder: Path, root: str) -> subprocess.CompletedProcess:
    # -binary: the manifest is hashed as it is (no MIME canonical line ends); -purpose any: a pass
    # type certificate is no e-mail (S/MIME) certificate, which smime would ask for by default.
    return subprocess.run(
        ["openssl", "smime", "-verify", "-binary", "-inform", "DER", "-in", str(folder / "signature"),
         "-content", str(folder / "manifest.json"), "-CAfile", root, "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def shop(alice):
    with schema_context("alice"):
        return {"points": ProgramFactory(kind=Program.Kind.POINTS, name="Brötchenpunkte"),
                "prepaid": ProgramFactory(kind=Program.Kind.PREPAID, name="Guthaben"),
                "stamps": ProgramFactory(kind=Program.Kind.STAMPS, name="Kaffeekarte", stamps_per_reward=10)}


def test_the_pkpass_is_a_zip_whose_manifest_matches_and_whose_signature_verifies_with_openssl(
        alice, holder_of, pass_of, chain_root, tmp_path):
    card = holder_of(alice)

    pkpass = pass_of(alice, card)

    assert {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png", "icon@3x.png",
            "de.lproj/pass.strings", "en.lproj/pass.strings"} <= set(pkpass.names)
    manifest = pkpass.manifest
    assert set(manifest) == set(pkpass.names) - {"manifest.json", "signature"}
    for name, sha1 in manifest.items():
        assert hashlib.sha1(pkpass.read(name)).hexdigest() == sha1, name
    for name in ("manifest.json", "signature"):
        (tmp_path / name).write_bytes(pkpass.read(name))
    verified = _openssl_verify(tmp_path, chain_root)
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    # The signature carries the intermediate (WWDR) certificate beside the pass type's own.
    certificates = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs", "-noout",
                                   "-in", str(tmp_path / "signature")], capture_output=True, text=True, check=True)
    assert "Stammkunde Development WWDR" in certificates.stdout
    assert "UID = pass.localhost.stammkunde.card" in certificates.stdout


def test_a_tampered_manifest_fails_the_verification(alice, holder_of, pass_of, chain_root, tmp_path):
    pkpass = pass_of(alice, holder_of(alice))
    (tmp_path / "signature").write_bytes(pkpass.read("signature"))
    (tmp_path / "manifest.json").write_bytes(pkpass.read("manifest.json").replace(b'"pass.json": "', b'"pass.json": "0'))

    verified = _openssl_verify(tmp_path, chain_root)

    assert verified.returncode != 0
    assert "Verification failure" in verified.stderr


def test_a_signature_from_another_chain_fails_the_verification(alice, holder_of, pass_of, tmp_path, settings):
    from loyalty.wallet.certificates import development_chain

    other_root = development_chain(tmp_path / "other")["root"]
    pkpass = pass_of(alice, holder_of(alice))
    for name in ("manifest.json", "signature"):
        (tmp_path / name).write_bytes(pkpass.read(name))

    assert _openssl_verify(tmp_path, str(other_root)).returncode != 0


def test_the_barcode_is_the_card_number_as_code_128(alice, holder_of, pass_of, settings):
    card = holder_of(alice)

    data = pass_of(alice, card).pass_json

    assert data["barcodes"] == [{"message": card.number, "format": "PKBarcodeFormatCode128",
                                 "messageEncoding": "iso-8859-1", "altText": card.number}]
    # iOS before 9 reads only `barcode`, where Apple allows no Code 128: the same number in PDF417.
    assert data["barcode"] == {"message": card.number, "format": "PKBarcodeFormatPDF417",
                               "messageEncoding": "iso-8859-1", "altText": card.number}
    assert data["formatVersion"] == 1 and data["serialNumber"] == card.number
    assert data["passTypeIdentifier"] == settings.WALLET_PASS_TYPE_ID == "pass.localhost.stammkunde.card"
    assert data["teamIdentifier"] == settings.WALLET_TEAM_ID
    assert data["organizationName"] == "Alice’s Bakery" and data["description"] == "Kundenkarte von Alice’s Bakery"
    assert data["webServiceURL"] == f"http://{alice.primary_host}/wallet/"
    assert "voided" not in data and data["sharingProhibited"] is True


def test_the_pass_shows_every_programs_balance_in_german_with_english_for_english_phones(
        alice, shop, holder_of, pass_of):
    card = holder_of(alice)
    with schema_context("alice"):
        booking_earn(card_number=card.number, program=shop["points"], purchase_amount_cents=1_250,
                     idempotency_key="earn", actor=TILL)
        booking_top_up(card_number=card.number, program=shop["prepaid"], amount_cents=2_345,
                       idempotency_key="top-up", actor=TILL)
        booking_stamp(card_number=card.number, program=shop["stamps"], idempotency_key="stamp", actor=TILL)

    pkpass = pass_of(alice, card)

    card_fields = pkpass.pass_json["storeCard"]
    points, prepaid, stamps = (f"program-{shop[kind].pk}" for kind in ("points", "prepaid", "stamps"))
    assert [item["key"] for item in card_fields["primaryFields"]] == [points]
    assert [item["key"] for item in card_fields["secondaryFields"]] == [prepaid, stamps]
    fields = pkpass.fields()
    assert fields[points] == {"key": points, "label": "Brötchenpunkte", "value": "12 Punkte",
                              "changeMessage": "Neuer Stand: %@"}
    assert fields[prepaid]["value"] == "23,45 €" and fields[stamps]["value"] == "1 von 10 Stempeln"
    assert fields["card-number"]["value"] == card.number
    assert fields["portal"]["value"] == f"http://{alice.primary_host}/card/"
    assert fields["updated"]["dateStyle"] == "PKDateStyleMedium"
    english, german = pkpass.strings("en"), pkpass.strings("de")
    assert english["12 Punkte"] == "12 points" and english["23,45 €"] == "23.45 €"
    assert english["1 von 10 Stempeln"] == "1 of 10 stamps" and english["Neuer Stand: %@"] == "New balance: %@"
    assert english["Kundenkarte von Alice’s Bakery"] == "Customer card of Alice’s Bakery"
    assert english["Kartennummer"] == "Card number" and english["Brötchenpunkte"] == "Brötchenpunkte"
    assert german["12 Punkte"] == "12 Punkte" and set(german) == set(english)
    # Every text of the pass is a key of both files.
    texts = {pkpass.pass_json["description"]} | {
        text for item in fields.values() for name, text in item.items()
        if name in ("label", "changeMessage") or (name == "value" and "dateStyle" not in item)}
    assert texts <= set(english)


def test_a_card_without_programs_shows_its_number(alice, holder_of, pass_of):
    card = holder_of(alice)

    primary = pass_of(alice, card).pass_json["storeCard"]["primaryFields"]

    assert primary == [{"key": "card-number", "label": "Kartennummer", "value": card.number}]


def test_the_pass_wears_the_merchants_colours_and_logo(alice, holder_of, pass_of):
    with schema_context("alice"):
        owner = Actor(label="test")
        shop_settings_update(actor=owner, primary_colour="#1a5e20", background_colour="#f4f9f4")
        logo = io.BytesIO()
        Image.new("RGB", (400, 100), "#1a5e20").save(logo, format="PNG")
        shop_logo_replace(upload=SimpleUploadedFile("logo.png", logo.getvalue()), actor=owner)
    pkpass = pass_of(alice, holder_of(alice))

    data = pkpass.pass_json
    assert data["backgroundColor"] == "rgb(26, 94, 32)" and data["foregroundColor"] == "rgb(255, 255, 255)"
    assert data["labelColor"] == "rgb(244, 249, 244)"  # the light background colour reads on the main colour
    sizes = {name: Image.open(io.BytesIO(pkpass.read(name))).size for name in pkpass.names if name.endswith(".png")}
    assert sizes == {"icon.png": (29, 29), "icon@2x.png": (58, 58), "icon@3x.png": (87, 87),
                     "logo.png": (160, 40), "logo@2x.png": (320, 80), "logo@3x.png": (400, 100)}


def test_without_a_logo_the_icon_is_drawn_in_the_main_colour(alice, holder_of, pass_of):
    pkpass = pass_of(alice, holder_of(alice))

    assert not any(name.startswith("logo") for name in pkpass.names)
    icon = Image.open(io.BytesIO(pkpass.read("icon@2x.png"))).convert("RGB")
    assert icon.getpixel((2, 2)) == (0x7a, 0x4a, 0x21)  # the default main colour
    assert (255, 255, 255) in {icon.getpixel((x, 29)) for x in range(58)}  # the drawn card


def test_a_blocked_card_gets_its_pass_voided(alice, holder_of, pass_of, settings):
    from loyalty.wallet.passes import pass_package

    card = holder_of(alice)
    pass_of(alice, card)
    with schema_context("alice"):
        Card.objects.filter(pk=card.pk).update(status=Card.Status.BLOCKED)
        wallet_pass = WalletPass.objects.select_related("card").get(card=card)
        pkpass = Pkpass(pass_package(wallet_pass.card, site_url=f"http://{alice.primary_host}/"))

    assert pkpass.pass_json["voided"] is True
    assert pkpass.fields()["card-status"]["value"] == "gesperrt"


def test_the_token_differs_between_merchants_and_cards(alice, bob, holder_of, pass_of):
    alices_card, alices_other = holder_of(alice), holder_of(alice, first_name="Otto")
    bobs_card = holder_of(bob)

    tokens = {pass_of(alice, alices_card).pass_json["authenticationToken"],
              pass_of(alice, alices_other).pass_json["authenticationToken"],
              pass_of(bob, bobs_card).pass_json["authenticationToken"]}
    with schema_context("bob"):
        alices_number_at_bob = authentication_token(alices_card.number)

    assert len(tokens) == 3 and all(len(token) >= 16 for token in tokens)
    assert alices_number_at_bob not in tokens
