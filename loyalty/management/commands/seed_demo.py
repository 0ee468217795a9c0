"""Demo data for `make dev`: the merchant `demo` (onboarded by `seed_demo_operator` before, or
provisioned here when that has not run) with programs, cards, cardholders and a few bookings.
Running it again changes nothing that is already there."""
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import Card, Program, Reward, ShopSettings
from loyalty.pos.services import cashier_group
from loyalty.services import bookings
from loyalty.services.cardholders import card_register
from loyalty.services.cards import cards_create_range
from tenants.accounts.models import User
from tenants.demo import DEMO_CASHIER_EMAIL, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SUBDOMAIN
from tenants.models import Merchant
from tenants.services import merchant_provision

HOLDERS = [("Anna", "Becker", "anna@example.com"), ("Ben", "Schulz", "ben@example.com"),
           ("Clara", "Wagner", ""), ("Deniz", "Yılmaz", "deniz@example.com")]
ACTOR = Actor.system("demo")


class Command(BaseCommand):
    help = "Fill the demo merchant with programs, cardholders and bookings."

    def handle(self, *args, **options):
        merchant = self.ensure_demo_merchant()
        with schema_context(merchant.schema_name):
            self.ensure_demo_cards()
            self.ensure_demo_cashier()
            self.ensure_demo_sign_in()

    def ensure_demo_merchant(self) -> Merchant:
        merchant = Merchant.objects.filter(schema_name=DEMO_SUBDOMAIN).first()
        if merchant is None:
            merchant = merchant_provision(
                subdomain=DEMO_SUBDOMAIN, name="Bäckerei Demo",
                owner_email=DEMO_OWNER_EMAIL, owner_password=DEMO_OWNER_PASSWORD,
            )
        return merchant

    @transaction.atomic
    def ensure_demo_cashier(self):
        if not User.objects.filter(email=DEMO_CASHIER_EMAIL).exists():
            cashier = User.objects.create_user(DEMO_CASHIER_EMAIL, DEMO_OWNER_PASSWORD, full_name="Kasse")
            cashier.groups.add(cashier_group())

    def ensure_demo_sign_in(self):
        """The demo owner signs in with the password alone (README): a merchant onboarded now
        requires two-factor sign-in, which the owner can switch on again on the staff page."""
        settings = ShopSettings.current()
        if settings.pk is None:
            settings.two_factor_required = False
            settings.save()

    @transaction.atomic
    def ensure_demo_cards(self):
        points, _ = Program.objects.get_or_create(
            name="Bonuspunkte", defaults={"kind": "points", "expiry": "year_end", "expiry_years": 1})
        prepaid, _ = Program.objects.get_or_create(
            name="Guthaben", defaults={"kind": "prepaid", "max_balance_cents": 50_000})
        stamps, _ = Program.objects.get_or_create(
            name="Kaffee-Stempelkarte", defaults={"kind": "stamps", "stamps_per_reward": 10,
                                                  "stamp_reward": "Ein Kaffee gratis"})
        Program.objects.get_or_create(
            name="Geschenkgutschein", defaults={"kind": "voucher", "voucher_value_cents": 2_500})
        self.voucher = Program.objects.get(name="Geschenkgutschein")
        Reward.objects.get_or_create(program=points, name="Kaffee", defaults={"points": 50})
        Reward.objects.get_or_create(program=points, name="Brot nach Wahl", defaults={"points": 150})

        cards_create_range(first_serial=1, count=25, actor=ACTOR)
        for serial, (first, last, email) in enumerate(HOLDERS, start=1):
            card = Card.objects.get(number=card_number_from_serial(serial))
            if card.cardholder_id is None:
                card_register(card_number=card.number, actor=ACTOR, first_name=first, last_name=last,
                              email=email)
            bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=serial * 2_345,
                                  idempotency_key=f"demo-earn-{serial}", actor=ACTOR)
            bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=serial * 1_000,
                                    idempotency_key=f"demo-top-up-{serial}", actor=ACTOR)
            bookings.booking_stamp(card_number=card.number, program=stamps, stamps=serial * 2,
                                   idempotency_key=f"demo-stamp-{serial}", actor=ACTOR)
        self.ensure_demo_voucher_and_claim(points=points)
        self.stdout.write("Demo cards: " + ", ".join(card_number_from_serial(s) for s in range(1, len(HOLDERS) + 1)))

    def ensure_demo_voucher_and_claim(self, *, points):
        """A gift voucher on Anna's card; on Ben's, a purchase whose reward was redeemed before the
        purchase came back, so that an open claim shows at the till."""
        anna, ben = (card_number_from_serial(serial) for serial in (1, 2))
        bookings.booking_voucher_issue(card_number=anna, program=self.voucher,
                                       idempotency_key="demo-voucher-1", actor=ACTOR)
        sale = bookings.booking_earn(card_number=ben, program=points, purchase_amount_cents=5_000,
                                     idempotency_key="demo-claim-sale", actor=ACTOR)
        coffee = Reward.objects.get(program=points, name="Kaffee")
        bookings.booking_redeem_reward(card_number=ben, reward=coffee.pk,
                                       idempotency_key="demo-claim-redeem", actor=ACTOR)
        bookings.booking_return(sale_id=sale.pk, return_amount_cents=5_000,
                                idempotency_key="demo-claim-return", actor=ACTOR)
