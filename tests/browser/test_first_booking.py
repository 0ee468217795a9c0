"""In Chromium, the way a new merchant starts: the owner of a merchant just onboarded by the
operator opens the invitation, sets a password and an authenticator, picks a starter template,
invites a cashier and pairs a till; the cashier sets a password and books an earn there. The test
counts the owner's and the cashier's clicks and typed fields from the owner's first sign-in to the
first booking, and reports them (and the seconds) in the test report."""
import base64
import datetime
import re
import time

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from hq.onboarding import merchant_onboard
from loyalty.models import Booking, Card, LedgerEntry, Program
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL
from tests.support.clients import authenticator_code

PASSWORD = "Brötchen am Morgen 2026"


class Counted:
    """A page whose clicks and typed fields are counted: what a person does, nothing else."""

    def __init__(self, page):
        self.page, self.clicks, self.fields = page, 0, 0

    def click(self, locator):
        locator.click()
        self.clicks += 1

    def fill(self, locator, text):
        locator.fill(text)
        self.fields += 1

    def submit(self, locator, text):
        """Type into a field and press Enter: one field, no click."""
        self.fill(locator, text)
        locator.press("Enter")


def _link(message) -> str:
    return re.search(r"https?://\S+/manage/invitation/\S+/", message.body).group(0)


def _button(page, de, en):
    return page.get_by_role("button", name=de).or_(page.get_by_role("button", name=en))


def _link_named(page, de, en):
    return page.get_by_role("link", name=de).or_(page.get_by_role("link", name=en))


@pytest.fixture
def onboarded(committed, live_site, settings, mailoutbox):
    """A merchant onboarded through the operator's service, with 1 terminal and 10 printed cards;
    its owner's invitation is in the outbox."""
    settings.PUBLIC_PORT = live_site.port
    merchant = merchant_onboard(
        actor=User.objects.get(email=OPERATOR_EMAIL), name="Bäckerei Korn", subdomain="korn", legal_name="Bäckerei Korn GmbH",
        street="Mühlenweg 1", postcode="12345", city="Kornstadt", country="DE", vat_id="",
        billing_email="buero@korn.example", owner_email="inhaberin@korn.example",
        contract_start=datetime.date.today().replace(day=1), terminals=1, card_quantity=10)
    return merchant


def test_a_new_owner_gets_to_the_first_booking_alone(onboarded, live_site, chromium, mailoutbox, record_property):
    url = lambda path: live_site.url(onboarded.primary_host, path)  # noqa: E731
    (invitation,) = mailoutbox
    with schema_context(onboarded.schema_name):
        card = Card.objects.order_by("pk").first()
    owner_context = chromium.new_context(locale="de-DE")
    till_context = chromium.new_context(locale="de-DE")
    try:
        owner = Counted(owner_context.new_page())
        till = Counted(till_context.new_page())
        for page in (owner.page, till.page):
            page.set_default_timeout(15_000)
        started = time.monotonic()

        # The owner: the link from the e-mail, a password, the authenticator.
        owner.page.goto(_link(invitation))
        owner.fill(owner.page.locator("#id_new_password1"), PASSWORD)
        owner.submit(owner.page.locator("#id_new_password2"), PASSWORD)
        owner.page.wait_for_url("**/manage/login/code/**")
        secret = owner.page.locator("code.secret").inner_text()
        owner.submit(owner.page.locator("#id_code"), authenticator_code(base64.b32decode(secret).hex()))
        owner.page.wait_for_url(url("/manage/"))

        # A program from a starter template.
        owner.click(_link_named(owner.page, "Erstes Programm anlegen", "Create your first program").first)
        owner.click(owner.page.locator('[data-template="points-coffee"] button'))
        expect(owner.page.locator("main")).to_contain_text("Punkt")

        # A cashier, invited by e-mail.
        owner.click(owner.page.locator("nav").get_by_role("link", name=re.compile("Personal|Mitarbeit|Team|Staff")))
        owner.fill(owner.page.locator("#id_full_name"), "Kai Kasse")
        owner.fill(owner.page.locator("#id_email"), "kai@korn.example")
        owner.page.locator("#id_role").select_option("cashier")
        owner.clicks += 1  # picking the role from the list
        owner.click(_button(owner.page, "Einladung senden", "Send invitation"))
        expect(owner.page.locator("main")).to_contain_text("kai@korn.example")

        # A till: a pairing code.
        owner.click(owner.page.locator("nav").get_by_role("link", name=re.compile("Terminals|Kassen")))
        owner.fill(owner.page.locator("#id_terminal_name"), "Theke")
        owner.click(_button(owner.page, "Kopplungscode erstellen", "Create pairing code"))
        code = owner.page.locator("#pairing-code").inner_text()

        # The cashier: a password from the invitation, then the till's browser.
        cashier_mail = next(message for message in mailoutbox if message.to == ["kai@korn.example"])
        till.page.goto(_link(cashier_mail))
        till.fill(till.page.locator("#id_new_password1"), PASSWORD)
        till.submit(till.page.locator("#id_new_password2"), PASSWORD)
        expect(till.page.locator("h1")).to_be_visible()
        till.page.goto(url("/pos/"))
        till.submit(till.page.locator("#id_code"), code)
        till.page.wait_for_url(url("/pos/login/"))
        till.fill(till.page.locator("#id_password-email"), "kai@korn.example")
        till.submit(till.page.locator("#id_password-password"), PASSWORD)
        till.page.wait_for_url(url("/pos/"))

        # The first booking: the scan; the new card handed out (a first name and the holder's
        # consent); the amount and Enter.
        till.page.keyboard.type(card.number)
        till.page.keyboard.press("Enter")
        till.fill(till.page.locator("#register-first-name"), "Erika")
        till.click(till.page.locator("#register-consent"))
        till.click(_button(till.page, "Karte ausgeben", "Hand out this card"))
        expect(till.page.locator("#amount")).to_be_focused()
        till.submit(till.page.locator("#amount"), "12,50")
        expect(till.page.locator("#result")).to_contain_text("12")
        seconds = time.monotonic() - started
    finally:
        owner_context.close()
        till_context.close()

    with schema_context(onboarded.schema_name):
        booking = Booking.objects.get()
        assert booking.kind == Booking.Kind.EARN and booking.purchase_amount_cents == 1_250
        assert booking.staff_user.email == "kai@korn.example"
        assert booking.program == Program.objects.get()
        assert LedgerEntry.objects.get(booking=booking).amount == 12
    record_property("owner_clicks", owner.clicks)
    record_property("owner_fields", owner.fields)
    record_property("cashier_clicks", till.clicks)
    record_property("cashier_fields", till.fields)
    record_property("seconds", round(seconds, 1))
    print(f"\nfirst booking: owner {owner.clicks} clicks and {owner.fields} fields, cashier "
          f"{till.clicks} clicks and {till.fields} fields, {seconds:.1f} s")
    assert owner.clicks <= 8 and till.clicks <= 2
