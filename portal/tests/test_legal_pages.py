"""The portal's Impressum and privacy notice, rendered from the merchant's company data, linked in
the footer, polite when the data is incomplete; the landing page in the merchant's branding."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from loyalty.actors import Actor
from loyalty.services.shop import shop_logo_replace, shop_settings_update

pytestmark = pytest.mark.django_db

COMPANY = {"legal_name": "Alice Backwaren GmbH", "represented_by": "Alice Beispiel (Geschäftsführerin)",
           "street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin",
           "contact_email": "hallo@alice.example", "contact_phone": "030 123456", "vat_id": "DE123456789",
           "register_entry": "Amtsgericht Berlin-Charlottenburg, HRB 12345",
           "privacy_contact": "datenschutz@alice.example"}


def company(schema="alice", **fields):
    with schema_context(schema):
        shop_settings_update(actor=Actor(label="test"), **fields)


def page(host_client, merchant, path, language="de"):
    response = host_client(merchant).get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("language", "heading", "law"), [
    ("de", "Impressum", "Angaben gemäß § 5 DDG"), ("en", "Impressum", "Information according to § 5 DDG")])
def test_the_imprint_names_everything_section_5_ddg_asks_for(alice, host_client, language, heading, law):
    company(**COMPANY)

    imprint = page(host_client, alice, "/impressum/", language)

    assert f"<h1>{heading}</h1>" in imprint and law in imprint
    for value in COMPANY.values():
        if value != COMPANY["privacy_contact"]:
            assert value in imprint
    assert 'id="imprint-incomplete"' not in imprint


@pytest.mark.parametrize(("language", "rights", "contract"), [
    ("de", "Recht auf Auskunft", "Art. 6 Abs. 1 lit. b DSGVO"), ("en", "right to access your data", "Art. 6 (1) (b) GDPR")])
def test_the_privacy_notice_names_the_controller_what_is_stored_and_the_rights(alice, host_client, language, rights,
                                                                              contract):
    company(**COMPANY)

    privacy = page(host_client, alice, "/datenschutz/", language)

    for value in ("Alice Backwaren GmbH", "Hauptstr. 1", "10115 Berlin", "hallo@alice.example",
                  "datenschutz@alice.example"):
        assert value in privacy
    assert contract in privacy and "Art. 77" in privacy
    assert rights in privacy


@pytest.mark.parametrize(("language", "note"), [
    ("de", "vervollständigt"), ("en", "is still completing the details of this page")])
def test_an_incomplete_imprint_says_so_politely(alice, host_client, language, note):
    company(legal_name="Alice Backwaren GmbH")

    imprint = page(host_client, alice, "/impressum/", language)

    assert 'id="imprint-incomplete"' in imprint and note in imprint
    assert "Alice Backwaren GmbH" in imprint
    assert 'id="privacy-incomplete"' in page(host_client, alice, "/datenschutz/", language)


def test_every_portal_page_links_both_legal_pages_in_its_footer(alice, host_client):
    for path in ("/", "/impressum/", "/datenschutz/"):
        footer = page(host_client, alice, path).split('<footer class="portal-footer">')[1]
        assert 'href="/impressum/"' in footer and 'href="/datenschutz/"' in footer


def test_the_landing_page_shows_the_logo_colours_and_welcome_text(alice, host_client):
    image = io.BytesIO()
    Image.new("RGB", (64, 64), "#1b4d3e").save(image, format="PNG")
    with schema_context("alice"):
        shop_settings_update(actor=Actor(label="test"), primary_colour="#1b4d3e", background_colour="#fdf6e3",
                             welcome_text="Schön, dass Sie da sind!")
        shop_logo_replace(upload=SimpleUploadedFile("logo.png", image.getvalue()), actor=Actor(label="test"))

    landing = page(host_client, alice, "/")

    assert "--brand: #1b4d3e; --bg: #fdf6e3;" in landing
    assert "Schön, dass Sie da sind!" in landing
    assert 'class="portal-logo"' in landing and 'src="/logo/' in landing
    assert "Die Kundenkarte von Alice’s Bakery" in landing


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_company_data_is_not_on_other_merchants_legal_pages(alice, host_client, other, request):
    merchant = request.getfixturevalue(other)
    company(**COMPANY)

    pages = "".join(page(host_client, merchant, path) for path in ("/", "/impressum/", "/datenschutz/"))

    for value in ("Alice Backwaren GmbH", "Hauptstr. 1", "hallo@alice.example", "DE123456789"):
        assert value not in pages
    assert 'id="imprint-incomplete"' in pages
