"""Demo data for `make dev`: the merchant `demo` (onboarded by `seed_demo_operator` before, or
provisioned here when that has not run) with programs, rewards, bonus actions, staff, settings, an
API key, cards, cardholders with own fields and consents, and a few bookings.
Running it again changes nothing that is already there."""
import datetime

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import (
    ApiKey,
    BonusAction,
    Card,
    Cardholder,
    Consent,
    ConsentWording,
    CustomField,
    Program,
    Reward,
    ShopSettings,
    Terminal,
)
from loyalty.pos.services import cashier_group
from loyalty.roles import BUILT_IN_ROLES, MANAGER, role_group
from loyalty.services import bookings
from loyalty.services.api_keys import api_key_create
from loyalty.services.cardholders import card_register, cardholder_update, consent_record
from loyalty.services.cards import cards_create_range
from loyalty.services.consent_wordings import consent_wording_create
from loyalty.services.privacy import cardholder_anonymise
from loyalty.services.shop import shop_settings_update
from loyalty.services.staff import two_factor_requirement_set
from loyalty.services.terminals import terminal_create
from tenants.accounts.models import User
from tenants.demo import (
    DEMO_ACTIVATION_CODE,
    DEMO_BLANK_CARD_SERIAL,
    DEMO_CARDHOLDER_PASSWORD,
    DEMO_CASHIER_EMAIL,
    DEMO_MANAGER_EMAIL,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
    DEMO_SUBDOMAIN,
)
from tenants.models import Merchant
from tenants.services import merchant_provision

HOLDERS = [("Anna", "Becker", "anna@example.com"), ("Ben", "Schulz", "ben@example.com"),
           ("Clara", "Wagner", ""), ("Deniz", "Yılmaz", "deniz@example.com")]
# More people on the list of cardholders (no bookings): name, e-mail, phone, gender, birthday,
# postcode, favourite bread.
MORE_HOLDERS = [
    ("Jürgen", "Müller", "juergen.mueller@example.com", "0171 2345678", "m", "1961-04-07", "12345", "Roggen"),
    ("Sophie", "Schäfer", "sophie@example.com", "", "f", "1990-11-23", "12347", "Dinkel"),
    ("Lukas", "Fischer", "", "0160 9876543", "m", "1985-02-14", "12349", "Weizen"),
    ("Marie", "Weber", "marie.weber@example.com", "", "f", "1972-07-30", "12351", "Roggen"),
    ("Emil", "Hoffmann", "emil@example.com", "", "m", "2001-09-09", "12345", "Vollkorn"),
    ("Zoë", "Krämer", "zoe@example.com", "0152 1112223", "d", "1998-12-01", "12353", "Dinkel"),
    ("Helga", "Schröder", "", "030 7654321", "f", "1949-03-18", "12345", "Roggen"),
    ("Karl-Heinz", "Neumann", "kh.neumann@example.com", "", "m", "1955-06-21", "12355", "Weizen"),
]
ACTOR = Actor.system("demo")
DEMO_TILL = "Theke Hauptstraße"


class Command(BaseCommand):
    help = "Fill the demo merchant with programs, cardholders and bookings."

    def handle(self, *args, **options):
        merchant = self.ensure_demo_merchant()
        with schema_context(merchant.schema_name):
            self.ensure_demo_cashier()
            self.ensure_demo_cards()
            self.ensure_demo_sign_in()
            self.ensure_demo_shop()
            self.ensure_demo_cardholders()
            self.ensure_demo_portal()

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

    @transaction.atomic
    def ensure_demo_shop(self):
        """What the back office shows beyond the programs: a manager, the company data of the
        portal's legal pages, the welcome text, bonus actions, voucher values and an API key."""
        owner = User.objects.get(email=DEMO_OWNER_EMAIL)
        if not User.objects.filter(email=DEMO_MANAGER_EMAIL).exists():
            manager = User.objects.create_user(DEMO_MANAGER_EMAIL, DEMO_OWNER_PASSWORD, full_name="Mia Leitung")
            manager.groups.add(role_group(BUILT_IN_ROLES[MANAGER]))
        if not ShopSettings.current().legal_name:
            shop_settings_update(
                actor=Actor(user=owner), legal_name="Bäckerei Demo GmbH", represented_by="Erika Korn",
                street="Mühlenweg 1", postal_code="12345", city="Kornstadt",
                contact_email="hallo@baeckerei-demo.example", contact_phone="+49 30 1234567",
                vat_id="DE123456789", register_entry="Amtsgericht Kornstadt, HRB 4711",
                privacy_contact="datenschutz@baeckerei-demo.example",
                welcome_text="Schön, dass Sie da sind! Mit Ihrer Kundenkarte sammeln Sie bei jedem Einkauf.")
        points = Program.objects.get(name="Bonuspunkte")
        today = timezone.localdate()
        BonusAction.objects.get_or_create(program=points, kind=BonusAction.Kind.BIRTHDAY,
                                          defaults={"name": "Geburtstagsbonus", "points": 20})
        BonusAction.objects.get_or_create(program=points, kind=BonusAction.Kind.SIGN_UP,
                                          defaults={"name": "Willkommensbonus", "points": 10})
        BonusAction.objects.get_or_create(
            program=points, kind=BonusAction.Kind.MULTIPLIER,
            defaults={"name": "Doppelte Punkte zum Stadtfest", "multiplier": 2,
                      "starts_on": today + datetime.timedelta(days=14),
                      "ends_on": today + datetime.timedelta(days=20)})
        if not self.voucher.voucher_presets:
            self.voucher.voucher_presets = [1_000, 2_500, 5_000]
            self.voucher.save(update_fields=["voucher_presets"])
        if not ApiKey.objects.exists():
            _key, token = api_key_create(name="Kassensystem", scope=ApiKey.Scope.BOOK, actor=Actor(user=owner))
            self.stdout.write(f"Demo API key (Authorization: Key …): {token}")

    def ensure_demo_sign_in(self):
        """The demo owner signs in with the password alone (README): a merchant onboarded now
        requires two-factor sign-in, which the owner can switch on again on the staff page. Until
        the demo owner has signed in once; a requirement switched on after that stays."""
        owner = User.objects.get(email=DEMO_OWNER_EMAIL)
        if ShopSettings.current().two_factor_required and owner.last_login is None:
            two_factor_requirement_set(required=False, actor=Actor(user=owner))

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
        self.ensure_demo_visits_of_anna(points=points, prepaid=prepaid, stamps=stamps)
        self.stdout.write("Demo cards: " + ", ".join(card_number_from_serial(s) for s in range(1, len(HOLDERS) + 1)))

    @transaction.atomic
    def ensure_demo_cardholders(self):
        """The merchant's own fields, and cardholders with them and with consents given and
        withdrawn, so that the cardholder list, its filters and a person's page show something."""
        fields = [
            CustomField.objects.get_or_create(key="lieblingsbrot", defaults={
                "label": "Lieblingsbrot", "kind": CustomField.Kind.CHOICE, "at_registration": True,
                "choices": ["Roggen", "Dinkel", "Weizen", "Vollkorn"], "position": 1})[0],
            CustomField.objects.get_or_create(key="kundennummer-alt", defaults={
                "label": "Kundennummer (alt)", "kind": CustomField.Kind.TEXT, "position": 2})[0],
            CustomField.objects.get_or_create(key="haushalt", defaults={
                "label": "Personen im Haushalt", "kind": CustomField.Kind.NUMBER, "position": 3})[0],
            CustomField.objects.get_or_create(key="glutenfrei", defaults={
                "label": "Interesse an glutenfreien Angeboten", "kind": CustomField.Kind.CHECKBOX,
                "at_registration": True, "position": 4})[0],
            CustomField.objects.get_or_create(key="stammkunde-seit", defaults={
                "label": "Stammkunde seit", "kind": CustomField.Kind.DATE, "position": 5})[0],
        ]
        by_key = {field.key: field for field in fields}
        first_serial = len(HOLDERS) + 1
        for serial, (first, last, email, phone, gender, birthday, postcode, bread) in enumerate(
                MORE_HOLDERS, start=first_serial):
            card = Card.objects.get(number=card_number_from_serial(serial))
            if card.cardholder_id is not None:
                continue
            custom = {"lieblingsbrot": bread, "kundennummer-alt": f"K-{1000 + serial}",
                      "haushalt": str(1 + serial % 4), "glutenfrei": serial % 3 == 0,
                      "stammkunde-seit": f"{2010 + serial}-0{1 + serial % 9}-15"}
            card_register(card_number=card.number, actor=ACTOR, first_name=first, last_name=last, email=email,
                          phone=phone, gender=gender, birth_date=datetime.date.fromisoformat(birthday),
                          postcode=postcode,
                          custom_data={key: by_key[key].value_clean(value) for key, value in custom.items()})
        for serial in range(1, first_serial + len(MORE_HOLDERS)):
            holder = Card.objects.get(number=card_number_from_serial(serial)).cardholder
            if serial < first_serial and not holder.custom_data:
                cardholder_update(cardholder=holder, actor=ACTOR,
                                  custom_data={"lieblingsbrot": ("Roggen", "Dinkel", "Weizen", "Vollkorn")[serial - 1]})
            if holder.consents.exists():
                continue
            source = Consent.Source.TILL if serial % 2 else Consent.Source.PORTAL
            consent_record(cardholder=holder, purpose=Consent.Purpose.TERMS, granted=True, source=source,
                           actor=ACTOR, wording_version="1")
            if serial % 3 != 1:
                consent_record(cardholder=holder, purpose=Consent.Purpose.NEWSLETTER, granted=True,
                               source=source, actor=ACTOR, wording_version="1")
            if serial % 2 == 0:
                consent_record(cardholder=holder, purpose=Consent.Purpose.ANALYSIS, granted=True,
                               source=source, actor=ACTOR, wording_version="1")
            if serial == 2:  # Ben changed his mind about the newsletter
                consent_record(cardholder=holder, purpose=Consent.Purpose.NEWSLETTER, granted=False,
                               source=Consent.Source.PORTAL, actor=ACTOR, wording_version="1")

    @transaction.atomic
    def ensure_demo_portal(self):
        """The customer portal: Anna and Ben with confirmed addresses (Anna with a password), a blank
        card with a known activation code to register, a second version of the newsletter's wording
        that one person agreed to, and one person whose data was deleted on request."""
        anna, ben = (Card.objects.get(number=card_number_from_serial(serial)).cardholder for serial in (1, 2))
        Cardholder.objects.filter(pk__in=[anna.pk, ben.pk], email_confirmed_at__isnull=True).update(
            email_confirmed_at=timezone.now())
        if not anna.password:
            Cardholder.objects.filter(pk=anna.pk).update(password=make_password(DEMO_CARDHOLDER_PASSWORD))
        Card.objects.filter(number=card_number_from_serial(DEMO_BLANK_CARD_SERIAL), cardholder__isnull=True,
                            status=Card.Status.UNISSUED).update(activation_code=DEMO_ACTIVATION_CODE)
        owner = User.objects.get(email=DEMO_OWNER_EMAIL)
        if not ConsentWording.objects.filter(purpose=Consent.Purpose.NEWSLETTER, version=2).exists():
            consent_wording_create(
                purpose=Consent.Purpose.NEWSLETTER, actor=Actor(user=owner),
                text_de="Ich möchte Angebote, Neuigkeiten und Einladungen zu Verkostungen per E-Mail erhalten, "
                        "höchstens zweimal im Monat. Diese Einwilligung kann ich jederzeit widerrufen, im "
                        "Kundenportal oder über den Abmeldelink in jeder E-Mail.",
                text_en="I would like to receive offers, news and invitations to tastings by e-mail, at most "
                        "twice a month. I can withdraw this consent at any time, in the customer portal or "
                        "through the unsubscribe link in every e-mail.")
            consent_record(cardholder=anna, purpose=Consent.Purpose.NEWSLETTER, granted=True,
                           source=Consent.Source.PORTAL, actor=Actor.for_cardholder(anna), wording_version="2")
        gone = Card.objects.get(number=card_number_from_serial(len(HOLDERS) + len(MORE_HOLDERS))).cardholder
        if gone is not None and gone.anonymised_at is None:
            cardholder_anonymise(cardholder=gone, keep_card_usable=False, actor=Actor(user=owner))

    def ensure_demo_visits_of_anna(self, *, points, prepaid, stamps):
        """Anna's visits at the counter of the main shop, so that her portal shows a reward ready and
        the next one in reach, a payment from her balance, 7 of 10 stamps, a voucher partly spent and
        a reversal, each with the till's name."""
        terminal = Terminal.objects.filter(name=DEMO_TILL).first() or terminal_create(name=DEMO_TILL, actor=ACTOR)[0]
        at_the_till = Actor(user=User.objects.get(email=DEMO_CASHIER_EMAIL), terminal=terminal)
        anna = card_number_from_serial(1)
        bookings.booking_earn(card_number=anna, program=points, purchase_amount_cents=4_580,
                              idempotency_key="demo-anna-earn", actor=at_the_till)
        bookings.booking_pay(card_number=anna, program=prepaid, amount_cents=380,
                             idempotency_key="demo-anna-pay", actor=at_the_till)
        bookings.booking_stamp(card_number=anna, program=stamps, stamps=5, idempotency_key="demo-anna-stamps",
                               actor=at_the_till)
        bookings.booking_voucher_redeem(card_number=anna, program=self.voucher, amount_cents=1_000,
                                        idempotency_key="demo-anna-voucher", actor=at_the_till)
        mistake = bookings.booking_earn(card_number=anna, program=points, purchase_amount_cents=999,
                                        idempotency_key="demo-anna-mistake", actor=at_the_till)
        bookings.booking_reverse(booking_id=mistake.pk, idempotency_key="demo-anna-mistake-reversal",
                                 actor=at_the_till)

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
