"""In Chromium: a cardholder changes her profile, gives and withdraws a consent, and deletes her
data through the link e-mailed to her (read from the outbox); the owner writes a new wording. Every
page fits 360 and 1280 pixels in German and English; screenshots go to $SCREENSHOT_DIR when set."""
import pytest
from django.conf import settings
from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.models import Card, Cardholder, Consent
from loyalty.services.cardholders import consent_record
from portal.tests.privacy.conftest import PERSON, SYSTEM
from tests.support.baseline import owner_email
from tests.support.browser import back_office_sign_in, shoot
from tests.support.concurrency import wait_until
from tests.support.portal import portal_signed_in


@pytest.fixture
def hanna_in_chromium(committed, live_site, page, alice, hanna):
    """Hanna's card, and Chromium signed in to alice's portal as her."""
    session = portal_signed_in(alice, hanna.cardholder).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                               "url": live_site.url(alice.primary_host)}])
    return lambda path: live_site.url(alice.primary_host, path)


def switch_to(page, language: str) -> None:
    page.locator(".language").get_by_role("button", name=language.upper()).click()
    page.wait_for_load_state()


def test_profile_and_consents_on_a_phone_and_a_desktop_in_both_languages(hanna_in_chromium, page, hanna):
    url = hanna_in_chromium
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(url("/profile/"))
    page.locator("#id_postcode").fill("80469")
    page.locator("#id_phone").fill("ruf mich an")
    page.get_by_role("button", name="Speichern").click()

    expect(page.locator("#id_phone-error")).to_contain_text("Telefonnummer")
    expect(page.locator("#id_postcode")).to_have_value("80469")  # what was typed stays
    shoot(page, "privacy-profile-errors")
    page.locator("#id_phone").fill(PERSON["phone"])
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator(".messages")).to_contain_text("Ihre Änderungen sind gespeichert.")
    shoot(page, "privacy-profile")

    page.goto(url("/profile/consents/"))
    newsletter = page.locator("#consent-newsletter")
    expect(newsletter).to_contain_text("Ich möchte Angebote und Neuigkeiten per E-Mail erhalten.")
    newsletter.get_by_role("button", name="Einwilligung erteilen").click()
    expect(page.locator("#consent-newsletter")).to_contain_text("erteilt")
    shoot(page, "privacy-consents")
    with schema_context("alice"):
        consent = Consent.objects.get(cardholder_id=hanna.cardholder_id)
        assert (consent.granted, consent.source, consent.wording_version) == (True, "portal", "1")

    switch_to(page, "en")
    page.locator("#consent-newsletter").get_by_role("button", name="Withdraw consent").click()
    expect(page.locator("#consent-newsletter")).to_contain_text("withdrawn")
    expect(page.locator("#consent-history li")).to_have_count(2)
    shoot(page, "privacy-consents")
    page.goto(url("/profile/"))
    shoot(page, "privacy-profile")
    page.goto(url("/profile/data/"))
    shoot(page, "privacy-data")
    for language in ("en", "de"):
        if language == "de":
            switch_to(page, "de")
        page.goto(url("/datenschutz/"))
        expect(page.locator("#wording-newsletter")).to_be_visible()
        shoot(page, "privacy-notice")
    with schema_context("alice"):
        assert Cardholder.objects.get(pk=hanna.cardholder_id).postcode == "80469"


@pytest.mark.parametrize("language", ["de", "en"])
def test_deletion_confirmed_through_the_emailed_link(hanna_in_chromium, page, hanna, language):
    url = hanna_in_chromium
    page.goto(url("/profile/delete/"))
    if language == "en":
        switch_to(page, "en")
    shoot(page, "privacy-delete")
    page.locator('input[name="cards"][value="block"]').check()
    page.locator("#delete-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("h•••@example.org")
    assert wait_until(lambda: any(PERSON["email"] in message.to for message in mail.outbox))
    body = next(message for message in mail.outbox if PERSON["email"] in message.to).body
    link = next(word for word in body.split() if "/profile/delete/" in word)

    page.goto(url(link[link.index("/profile/delete/"):]))  # the live server's port, not the deployment's
    expect(page.locator("#card-choice")).to_contain_text("gesperrt" if language == "de" else "blocked")
    shoot(page, "privacy-delete-confirm")
    with schema_context("alice"):
        assert Cardholder.objects.get(pk=hanna.cardholder_id).anonymised_at is None
    page.locator("#delete-confirm button[type=submit]").click()

    expect(page.locator("#deleted h1")).to_have_text("Ihre Daten sind gelöscht" if language == "de"
                                                     else "Your data are deleted")
    shoot(page, "privacy-deleted")
    with schema_context("alice"):
        assert Cardholder.objects.get(pk=hanna.cardholder_id).anonymised_at is not None
        assert Card.objects.get(pk=hanna.pk).status == Card.Status.BLOCKED
    page.goto(url("/profile/"))
    assert "/sign-in/" in page.url


def test_the_owner_writes_a_new_wording_on_a_phone_and_a_desktop(committed, live_site, page, alice, hanna):
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    with schema_context("alice"):
        consent_record(cardholder=Cardholder.objects.get(pk=hanna.cardholder_id), purpose="newsletter",
                       granted=True, source="portal", actor=SYSTEM, wording_version="1")
    back_office_sign_in(page, url, email=owner_email("alice"))
    for language in ("de", "en"):
        if language == "en":
            switch_to(page, "en")
        page.goto(url("/manage/consents/"))
        expect(page.locator("#purpose-newsletter")).to_contain_text("Ich möchte Angebote und Neuigkeiten")
        shoot(page, "wordings-list")
        page.goto(url("/manage/consents/sms/new/"))
        page.locator("#id_text_de").fill(f"SMS-Angebote einmal pro Woche ({language}). Widerruf jederzeit.")
        page.locator("#id_text_en").fill(f"Offers by SMS once a week ({language}). Withdraw any time.")
        page.locator("#wording-form button[type=submit]").click()
        expect(page.locator("#wording-confirm")).to_be_visible()
        shoot(page, "wordings-confirm")
        page.locator('#wording-confirm button[name="confirm"]').click()
        expect(page.locator("#wording-de")).to_contain_text(f"einmal pro Woche ({language})")
        shoot(page, "wordings-version")
    page.goto(url("/manage/consents/"))
    expect(page.locator("#purpose-sms .wording-versions li")).to_have_count(2)
    shoot(page, "wordings-list-later")
    # The person's page: the exact words of the version the person agreed to, one click away.
    page.goto(url(f"/manage/cardholders/{hanna.cardholder_id}/"))
    page.locator("#consent-history details summary").first.click()
    expect(page.locator("#consent-history .wording-en").first).to_contain_text("offers and news by e-mail")
    shoot(page, "cardholder-consents")
    page.locator("#anonymise-link").click()
    expect(page.locator("#anonymise-form")).to_be_visible()
    shoot(page, "cardholder-anonymise")
