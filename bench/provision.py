"""Time to provision one merchant: replaying the recorded template schema (what the product does) against
creating an empty schema and running every migration, median of 10 each.

Run: `make bench-provision` (or with DATABASE_URL / REDIS_URL set:
`python bench/provision.py`)."""
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from tenants.accounts.models import User  # noqa: E402
from tenants.models import Domain, Merchant  # noqa: E402
from tenants.services import merchant_host, merchant_provision, schema_name_for  # noqa: E402

RUNS = 10


def provision_by_template(subdomain: str) -> None:
    """What the product does: replay the recorded template schema (tenants.template)."""
    merchant_provision(subdomain=subdomain, name=subdomain, owner_email=f"owner@{subdomain}.example")


def provision_by_migrations(subdomain: str) -> None:
    """django-tenants' own path: CREATE SCHEMA, then every tenant migration in it."""
    with transaction.atomic():
        merchant = Merchant(schema_name=schema_name_for(subdomain), name=subdomain)
        merchant.auto_create_schema = True
        merchant.save(verbosity=0)
        Domain.objects.create(domain=merchant_host(subdomain), tenant=merchant, is_primary=True)
        with schema_context(merchant.schema_name):
            User.objects.create_owner(email=f"owner@{subdomain}.example")


def measure(provision, label: str) -> list[float]:
    run_id = uuid.uuid4().hex[:6]
    timings = []
    subdomains = []
    for index in range(RUNS):
        subdomain = f"bench-{label}-{run_id}-{index}"
        started = time.perf_counter()
        provision(subdomain)
        timings.append(time.perf_counter() - started)
        subdomains.append(subdomain)
    for subdomain in subdomains:
        Merchant.objects.get(schema_name=schema_name_for(subdomain)).delete(force_drop=True)
    return timings


def main() -> None:
    call_command("migrate_schemas", "--noinput", verbosity=0)
    results = {"template": measure(provision_by_template, "template"),
               "migrate": measure(provision_by_migrations, "migrate")}
    for label, timings in results.items():
        print(
            f"{label:>8}: median {statistics.median(timings) * 1000:7.1f} ms  "
            f"min {min(timings) * 1000:7.1f} ms  max {max(timings) * 1000:7.1f} ms  (n={RUNS})"
        )


if __name__ == "__main__":
    main()
