"""Demo data for `make dev`: an operator login and the merchant `demo` with a few cards.

Running it again changes nothing that is already there."""
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from loyalty.models import Card
from loyalty.services import cards_create_range
from tenants.accounts.models import User
from tenants.models import Domain, Merchant
from tenants.services import merchant_provision

OPERATOR_EMAIL = "operator@stammkunde.localhost"
OPERATOR_PASSWORD = "stammkunde"
DEMO_SUBDOMAIN = "demo"
DEMO_OWNER_EMAIL = "owner@demo.localhost"
DEMO_OWNER_PASSWORD = "demo"


class Command(BaseCommand):
    help = "Create the operator's public row, an operator login and the demo merchant."

    def handle(self, *args, **options):
        self.ensure_operator()
        self.ensure_demo_merchant()

    @transaction.atomic
    def ensure_operator(self):
        public, _ = Merchant.objects.get_or_create(
            schema_name=get_public_schema_name(), defaults={"name": "Stammkunde"}
        )
        Domain.objects.get_or_create(
            domain=settings.BASE_HOST, defaults={"tenant": public, "is_primary": True}
        )
        if not User.objects.filter(email=OPERATOR_EMAIL).exists():
            User.objects.create_superuser(OPERATOR_EMAIL, OPERATOR_PASSWORD, full_name="Operator")

    def ensure_demo_merchant(self):
        merchant = Merchant.objects.filter(schema_name=DEMO_SUBDOMAIN).first()
        if merchant is None:
            merchant = merchant_provision(
                subdomain=DEMO_SUBDOMAIN,
                name="Bäckerei Demo",
                owner_email=DEMO_OWNER_EMAIL,
                owner_password=DEMO_OWNER_PASSWORD,
            )
        with schema_context(merchant.schema_name):
            cards_create_range(first_serial=1, count=5, status=Card.Status.ACTIVE)
            cards_create_range(first_serial=6, count=20)
