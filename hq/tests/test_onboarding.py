"""Onboarding in one step, through the console: schema, domain, company, contract, licence, card
order, and the owner's invitation that leads to a first sign-in on the merchant's host (with an
authenticator set up on the way: new merchants require two-factor sign-in)."""
import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context, schema_exists

from hq.models import CompanyProfile, Contract
from loyalty.models import Card, ShopSettings
from tenants.accounts.models import AuthenticatorDevice
from tenants.models import Merchant
from tests.support.clients import authenticator_code, operator_sign_in

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Bäckerei Körner", "subdomain": "koerner", "legal_name": "Körner Backwaren GmbH",
    "street": "Mühlenweg 3", "postcode": "24103", "city": "Kiel", "country": "DE", "vat_id": "de 811 907 980",
    "billing_email": "buchhaltung@koerner.example", "owner_email": "inhaberin@koerner.example",
    "contract_start": "2026-12-01", "terminals": 3, "card_quantity": 40, "card_layout": "standard",
}


def test_onboarding_sets_up_everything_and_the_owner_signs_in_from_the_invitation(
        operator_client, host_client, mailoutbox, django_capture_on_commit_callbacks):
    operator_sign_in(operator_client)

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/merchants/new/", FORM)

    merchant = Merchant.objects.get(schema_name="koerner")
    assert response.status_code == 302 and response["Location"] == f"/merchants/{merchant.pk}/"
    assert merchant.primary_host == "koerner.stammkunde.localhost"
    assert CompanyProfile.objects.get(merchant=merchant).vat_id == "DE811907980"
    assert Contract.objects.get(merchant=merchant).starts_on == datetime.date(2026, 12, 1)
    assert merchant.terminal_licenses.get().count == 3
    with schema_context("koerner"):
        assert Card.objects.filter(status="unissued").count() == 40
        # The portal's Impressum starts from the company data; two-factor sign-in is required.
        settings = ShopSettings.current()
        assert (settings.legal_name, settings.vat_id, settings.two_factor_required) == (
            FORM["legal_name"], "DE811907980", True)
    invitation = mailoutbox[-1]
    assert invitation.to == ["inhaberin@koerner.example"]
    link = re.search(r"http://koerner\.stammkunde\.localhost\S*/manage/invitation/\S+/", invitation.body).group(0)

    owner = host_client(merchant)
    path = link.split("localhost", 1)[1]
    form_page = owner.get(path, follow=True)
    chosen = owner.post(form_page.redirect_chain[-1][0], {
        "new_password1": "Roggenbrot mit Kruste", "new_password2": "Roggenbrot mit Kruste"})
    # A merchant onboarded now requires two-factor sign-in: the owner sets the authenticator up.
    assert chosen.status_code == 302 and chosen["Location"].startswith("/manage/login/code/")
    assert owner.get("/manage/").status_code == 302
    assert owner.get(chosen["Location"]).context["enrolling"]
    with schema_context("koerner"):
        key = AuthenticatorDevice.objects.get(user__email="inhaberin@koerner.example").key
    assert owner.post(chosen["Location"], {"code": authenticator_code(key)}).status_code == 302
    assert owner.get("/manage/").status_code == 200
    again = host_client(merchant).get(path, follow=True)
    assert again.context["validlink"] is False


def test_onboarding_with_a_taken_subdomain_shows_the_error_and_creates_nothing(operator_client, alice, mailoutbox):
    operator_sign_in(operator_client)
    merchants_before = Merchant.objects.count()

    response = operator_client.post("/merchants/new/", {**FORM, "subdomain": "alice"},
                                    headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert "already taken" in response.content.decode()
    assert Merchant.objects.count() == merchants_before
    assert not CompanyProfile.objects.exists()
    assert mailoutbox == []


def test_custom_layout_needs_a_design_and_a_design_is_stored(operator_client, django_capture_on_commit_callbacks):
    operator_sign_in(operator_client)
    missing = operator_client.post("/merchants/new/", {**FORM, "card_layout": "custom"})
    assert missing.status_code == 200 and not schema_exists("koerner")

    design = SimpleUploadedFile("design.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post("/merchants/new/", {**FORM, "card_layout": "custom", "card_design": design})

    assert schema_exists("koerner")
