"""The customer portal's journey in Chromium on a 360-pixel phone, as a customer of a bakery takes
it: the printed card registered with its activation code, the address confirmed from the mail,
signed in again by a sign-in link, and the balance on the phone changed by a purchase at the till."""
from urllib.parse import urlsplit

from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import Card
from loyalty.pos.services import cashier_group, pairing_code_create
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.browser import shoot, till_pair_and_sign_in
from tests.support.concurrency import wait_until
from tests.support.factories import CardFactory, ProgramFactory, UserFactory

PHONE = {"width": 360, "height": 760}
CODE = "K7M2P9QX"  # as printed on the card


def _link_in_mail(address: str, fragment: str, *, number: int) -> str:
    """The path of the link with `fragment` in mail number `number` (from 0) to `address`."""
    assert wait_until(lambda: len([m for m in mail.outbox if address in m.to]) > number), "no mail arrived"
    message = [m for m in mail.outbox if address in m.to][number]
    [link] = [word for word in message.body.split() if fragment in word]
    return urlsplit(link).path


def test_register_confirm_sign_in_by_link_and_see_the_balance_change_after_a_booking_at_the_till(
        committed, live_site, chromium, alice, mailoutbox):
    with schema_context("alice"):
        ProgramFactory(kind="points", name="Bonuspunkte")
        card = CardFactory(status=Card.Status.UNISSUED, activation_code=CODE)
        cashier = UserFactory(email="kasse@alice.example", full_name="Kai Kasse")
        cashier.groups.add(cashier_group())
        _, pairing = pairing_code_create(terminal_name="Theke", actor=Actor(
            user=User.objects.get(email=owner_email("alice"))))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    phone = chromium.new_context(locale="de-DE", viewport=PHONE, is_mobile=True, has_touch=True)
    counter = chromium.new_context(locale="de-DE")
    page, till = phone.new_page(), counter.new_page()
    for tab in (page, till):
        tab.set_default_timeout(15_000)
    try:
        # The printed card: its number, typed with spaces, and its activation code.
        page.goto(url("/"))
        page.get_by_role("link", name="Karte registrieren").first.click()
        page.locator("#id_card_number").fill(f"{card.number[:4]} {card.number[4:8]} {card.number[8:]}")
        page.locator("#id_activation_code").fill(CODE.lower())
        page.get_by_role("button", name="Weiter").click()
        page.wait_for_url(url("/register/details/"))
        page.locator("#id_first_name").fill("Hanna")
        page.locator("#id_last_name").fill("Huber")
        page.locator("#id_email").fill("hanna@example.de")
        page.get_by_label("Ich stimme den Teilnahmebedingungen").check()
        page.get_by_role("button", name="Karte registrieren").click()
        page.wait_for_url(url("/register/sent/"))

        # The address confirmed from the mail; that signs her in.
        page.goto(url(_link_in_mail("hanna@example.de", "/confirm/", number=0)))
        page.get_by_role("button", name="Bestätigen und anmelden").click()
        page.wait_for_url(url("/card/"))
        expect(page.locator(".balance-points .balance-figure")).to_have_text("0 Punkte")
        page.get_by_role("button", name="Abmelden").click()
        page.wait_for_url(url("/"))

        # Back another day: a sign-in link by e-mail.
        page.goto(url("/sign-in/"))
        page.locator("#id_link-email").fill("hanna@example.de")
        page.get_by_role("button", name="Anmeldelink senden").click()
        expect(page.get_by_role("status")).to_be_visible()
        page.goto(url(_link_in_mail("hanna@example.de", "/sign-in/link/", number=1)))
        page.get_by_role("button", name="Anmelden", exact=True).click()
        page.wait_for_url(url("/card/"))
        expect(page.locator(".balance-points .balance-figure")).to_have_text("0 Punkte")

        # At the counter: the cashier scans the card and books a purchase of 12,50 €.
        till_pair_and_sign_in(till, url, code=pairing, email=cashier.email)
        with till.expect_response(f"**/pos/api/cards/{card.number}/"):
            till.keyboard.type(card.number)
            till.keyboard.press("Enter")
        expect(till.locator("#amount")).to_be_focused()
        till.keyboard.type("12,50")
        till.keyboard.press("Enter")
        expect(till.locator("#result .till-headline")).to_have_text("+12 Punkte")

        # On the phone: the new balance, and the purchase in the last bookings.
        page.reload()
        expect(page.locator(".balance-points .balance-figure")).to_have_text("12 Punkte")
        expect(page.locator("main")).to_contain_text("Theke")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, "portal-journey-card")
    finally:
        phone.close()
        counter.close()
    with schema_context("alice"):
        holder = Card.objects.select_related("cardholder").get(pk=card.pk).cardholder
        assert (holder.first_name, holder.last_name, holder.email_confirmed_at is not None) == ("Hanna", "Huber", True)
        assert holder.portal_sign_in_at is not None
