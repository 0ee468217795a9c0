"""In Chromium on a 360-pixel phone: a card is registered with its number and activation code, the
address confirmed from the mail, the person signed out and in again by a sign-in link; the pages
of registration, sign-in and the till's invitation fit a phone and a desktop, in German and English."""
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import Card, CustomField
from loyalty.services.cardholders import card_register
from loyalty.services.portal_accounts import INVITATION, portal_link_token
from portal.tests.accounts.conftest import CODE
from tests.support.browser import shoot
from tests.support.concurrency import wait_until
from tests.support.factories import CardFactory

PHONE = {"width": 360, "height": 760}


def _mail_to(address: str, fragment: str, *, after: int = 0):
    """The path of the link with `fragment` in the first mail to `address` after the first `after`."""
    assert wait_until(lambda: len([m for m in mail.outbox if address in m.to]) > after), "no mail arrived"
    message = [m for m in mail.outbox if address in m.to][after]
    [link] = [word for word in message.body.split() if fragment in word]
    return urlsplit(link).path


def _signed_in(page, url) -> bool:
    page.goto(url("/password/"))
    return urlsplit(page.url).path == "/password/"


def test_a_card_is_registered_confirmed_and_signed_in_to_by_link_on_a_phone(
        committed, live_site, chromium, alice, mailoutbox):
    with schema_context("alice"):
        card = CardFactory(status=Card.Status.UNISSUED, activation_code=CODE)
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    context = chromium.new_context(locale="de-DE", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(url("/register/"))
        expect(page.locator("#id_card_number")).to_be_focused()
        page.locator("#id_card_number").fill(f"{card.number[:4]} {card.number[4:8]} {card.number[8:]}")
        page.locator("#id_activation_code").fill("k7m2-p9qx")
        page.get_by_role("button", name="Weiter").click()

        page.wait_for_url(url("/register/details/"))
        expect(page.locator("#id_first_name")).to_be_focused()
        page.locator("#id_first_name").fill("Hanna")
        page.locator("#id_last_name").fill("Huber")
        page.locator("#id_email").fill("hanna@example.de")
        page.get_by_label("Ich stimme den Teilnahmebedingungen").check()
        page.get_by_label("Ich möchte Angebote und Neuigkeiten per E-Mail erhalten").check()
        page.get_by_role("button", name="Karte registrieren").click()

        page.wait_for_url(url("/register/sent/"))
        expect(page.locator("h1")).to_have_text("Sehen Sie in Ihr Postfach")
        page.goto(url(_mail_to("hanna@example.de", "/confirm/")))
        assert not _signed_in(page, url)  # opening the link alone signs nobody in
        page.goto(url(_mail_to("hanna@example.de", "/confirm/")))
        page.get_by_role("button", name="Bestätigen und anmelden").click()

        page.wait_for_url(url("/card/"))
        assert _signed_in(page, url)
        page.get_by_role("button", name="Abmelden").click()
        page.wait_for_url(url("/"))
        assert not _signed_in(page, url)

        page.goto(url("/sign-in/"))
        page.locator("#id_link-email").fill("hanna@example.de")
        page.get_by_role("button", name="Anmeldelink senden").click()
        expect(page.get_by_role("status")).to_contain_text("ist ein Anmeldelink unterwegs")
        page.goto(url(_mail_to("hanna@example.de", "/sign-in/link/", after=1)))
        page.get_by_role("button", name="Anmelden", exact=True).click()

        page.wait_for_url(url("/card/"))
        assert _signed_in(page, url)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"]
    finally:
        context.close()
    with schema_context("alice"):
        holder = Card.objects.select_related("cardholder").get(pk=card.pk).cardholder
        assert (holder.first_name, holder.email_confirmed_at is not None) == ("Hanna", True)
        assert sorted(holder.consents.values_list("purpose", flat=True)) == ["newsletter", "terms_and_privacy"]


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_pages_of_registration_and_sign_in_fit_a_phone_and_a_desktop(
        committed, live_site, chromium, alice, language):
    with schema_context("alice"):
        card = CardFactory(status=Card.Status.UNISSUED, activation_code=CODE)
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="choice",
                                   choices=["Roggen", "Dinkel", "Vollkorn"], required=True, at_registration=True)
        handed_out = card_register(card_number=CardFactory(status=Card.Status.UNISSUED).number,
                                   actor=Actor(label="test"), first_name="Berta", email="berta@example.org")
        invitation = portal_link_token(handed_out.cardholder, INVITATION)
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    context = chromium.new_context(locale={"de": "de-DE", "en": "en-GB"}[language])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(url("/register/"))
        shoot(page, "portal-register")
        page.locator("#id_card_number").fill(card.number[:-1] + str((int(card.number[-1]) + 1) % 10))
        page.locator("#id_activation_code").fill("WRONG234")
        page.locator("#id_activation_code").press("Enter")
        expect(page.locator(".field-error")).to_be_visible()
        shoot(page, "portal-register-error")

        page.locator("#id_card_number").fill(card.number)
        page.locator("#id_activation_code").fill(CODE)
        page.locator("#id_activation_code").press("Enter")
        page.wait_for_url(url("/register/details/"))
        shoot(page, "portal-details")
        page.locator("#id_first_name").fill("Hanna")
        page.locator("#id_email").fill("hanna@")
        page.locator("form.account-form button[type=submit]").click()
        expect(page.locator(".form-error")).to_be_visible()
        expect(page.locator("#id_first_name")).to_have_value("Hanna")
        shoot(page, "portal-details-error")
        page.locator("#id_email").fill("hanna@example.de")
        page.locator("#id_own__lieblingsbrot").select_option("Dinkel")
        page.locator("#id_terms_and_privacy").check()
        page.locator("form.account-form button[type=submit]").click()
        page.wait_for_url(url("/register/sent/"))
        shoot(page, "portal-sent")

        page.goto(url("/sign-in/"))
        shoot(page, "portal-sign-in")
        page.locator("#id_link-email").fill("hanna@example.de")
        page.locator("#id_link-email").press("Enter")
        expect(page.get_by_role("status")).to_be_visible()
        shoot(page, "portal-sign-in-link-sent")
        page.locator("#id_password-email").fill("nobody@example.de")
        page.locator("#id_password-password").fill("geraten")
        page.locator("#id_password-password").press("Enter")
        expect(page.locator(".form-error")).to_be_visible()
        shoot(page, "portal-sign-in-error")

        page.goto(url(f"/invitation/{invitation}/"))
        expect(page.locator("h1")).to_contain_text("Berta")
        shoot(page, "portal-invitation")
    finally:
        context.close()
