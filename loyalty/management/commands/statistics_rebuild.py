"""Recompute the statistics' rollups from the ledger: for one merchant (--schema) or all of them."""
from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from loyalty.statistics.rollups import statistics_rebuild
from tenants.models import Merchant


class Command(BaseCommand):
    help = "Recompute the statistics' rollups from the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Only this merchant's schema.")

    def handle(self, *args, schema=None, **options):
        merchants = Merchant.objects.exclude(schema_name=get_public_schema_name())
        if schema:
            merchants = merchants.filter(schema_name=schema)
        for merchant in merchants:
            with schema_context(merchant.schema_name):
                result = statistics_rebuild()
            self.stdout.write(f"{merchant.schema_name}: {result['rows']} rows")
