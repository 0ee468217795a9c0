"""The operator's side of the demo for `make dev`: an operator login, and the demo merchant onboarded
through the console's own service (company data, contract, terminal licence, a first print order of
blank cards), so the console shows a merchant as the operator would have set it up, audit log
included. `seed_demo` then fills the merchant's programs, cardholders and bookings. Running it again
changes nothing that is already there."""
import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from hq.onboarding import merchant_onboard
from hq.services import terminal_license_change
from tenants.accounts.models import User
from tenants.demo import (
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
    DEMO_SUBDOMAIN,
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
)
from tenants.models import Merchant
from tenants.services import operator_staff_ensure


class Command(BaseCommand):
    help = "Create an operator login and onboard the demo merchant as the console would."

    def handle(self, *args, **options):
        operator = User.objects.filter(email=OPERATOR_EMAIL).first() or operator_staff_ensure(
            email=OPERATOR_EMAIL, password=OPERATOR_PASSWORD, full_name="Operator")
        if not Merchant.objects.filter(schema_name=DEMO_SUBDOMAIN).exists():
            self.onboard_demo(operator)

    @transaction.atomic
    def onboard_demo(self, operator: User) -> None:
        today = timezone.localdate()
        started = (today.replace(day=1) - datetime.timedelta(days=200)).replace(day=1)
        merchant = merchant_onboard(
            actor=operator, name="Bäckerei Demo", subdomain=DEMO_SUBDOMAIN, legal_name="Bäckerei Demo GmbH",
            street="Brotgasse 7", postcode="50667", city="Köln", country="DE", vat_id="DE123456789",
            billing_email="buchhaltung@demo.localhost", owner_email=DEMO_OWNER_EMAIL,
            contract_start=started, terminals=2, card_quantity=500,
        )
        # A second till since the Christmas business of the month before last.
        terminal_license_change(merchant=merchant, count=3, actor=operator, reason="zweite Filiale",
                                effective_on=(today.replace(day=1) - datetime.timedelta(days=40)).replace(day=1))
        with schema_context(merchant.schema_name):
            owner = User.objects.get(email=DEMO_OWNER_EMAIL)
            owner.set_password(DEMO_OWNER_PASSWORD)
            owner.save(update_fields=["password"])
        self.stdout.write(f"Demo merchant onboarded at {merchant.primary_host}.")
