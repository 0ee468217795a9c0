"""Rotate merchants' data keys and re-encrypt their personal data under the new key; the operator's
key ring (the public schema's row: authenticator keys) is rotated with them."""
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants.encryption import key_ring_rotate
from tenants.fields import encrypted_models, rows_reencrypt
from tenants.models import Merchant


class Command(BaseCommand):
    help = (
        "Give one merchant (--schema) or every merchant and the operator a new data key, then "
        "re-encrypt each encrypted field in its schema with it, re-wrapping every key with the "
        "current master key. Safe to run again: --reencrypt-only finishes an interrupted run "
        "without another new key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="the merchant's schema name (the operator's: public); all without")
        parser.add_argument(
            "--reencrypt-only", action="store_true",
            help="no new key: only re-encrypt what is not under the current key yet",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, schema, reencrypt_only, batch_size, **options):
        merchants = Merchant.objects.exclude(key_ring={})
        if schema:
            merchants = merchants.filter(schema_name=schema)
            if not merchants.exists():
                raise CommandError(f"There is no merchant with the schema “{schema}”.")
        for merchant in merchants.order_by("schema_name"):
            models = encrypted_models(public=merchant.schema_name == get_public_schema_name())
            if not reencrypt_only:
                version = key_ring_rotate(merchant=merchant)
                self.stdout.write(f"{merchant.schema_name}: data key version {version}")
            # tenant_context, not schema_context: the tenant then carries the (rotated) key ring.
            with tenant_context(merchant):
                for model in models:
                    where, done = f"{merchant.schema_name} {model._meta.label}", 0
                    for count in rows_reencrypt(model=model, batch_size=batch_size):
                        done += count
                        self.stdout.write(f"{where}: {done} rows")
                    self.stdout.write(f"{where}: re-encrypted {done} rows")
        self.stdout.write(self.style.SUCCESS("Done."))
