"""Create a merchant: schema, domain and owner account, in one step."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Country
from tenants.services import merchant_provision


class Command(BaseCommand):
    help = "Create a merchant with its schema, primary domain and owner account."

    def add_arguments(self, parser):
        parser.add_argument("subdomain", help="e.g. baeckerei-mueller")
        parser.add_argument("--name", required=True, help="the merchant's display name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument(
            "--owner-password",
            help="without one, the owner gets an unusable password until invited",
        )
        parser.add_argument("--country", choices=Country.values, default=Country.GERMANY)

    def handle(self, *args, subdomain, name, owner_email, owner_password, country, **options):
        try:
            merchant = merchant_provision(
                subdomain=subdomain,
                name=name,
                owner_email=owner_email,
                owner_password=owner_password,
                country=country,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Merchant “{merchant.name}” is live at {merchant.primary_host}.")
        )
