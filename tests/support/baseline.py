"""The state every test starts from: the operator's row and login, and three merchants.

Tests that run inside a transaction (pytest-django's `db`) roll back to it on their own; tests
that commit (`committed`) are put back to it by `baseline_restore` afterwards."""
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.accounts.models import User
from tenants.models import Domain, Merchant
from tenants.services import merchant_provision

OPERATOR_EMAIL = "operator@stammkunde.localhost"
OPERATOR_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "a long test password"
MERCHANTS = {
    "alice": "Alice’s Bakery",
    "bob": "Bob’s Butchery",
    "charlie": "Charlie’s Café",
}
# Rows that migrations write; they stay when a test's committed rows are cleared.
_MIGRATION_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
_PUBLIC_KEEP = _MIGRATION_TABLES | {"tenants_merchant", "tenants_domain"}
APPEND_ONLY_TABLES = ("loyalty_booking", "loyalty_ledgerentry", "loyalty_auditlog")


def owner_email(schema_name: str) -> str:
    return f"owner@{schema_name}.example"


def baseline_create() -> None:
    connection.set_schema_to_public()
    public, _ = Merchant.objects.get_or_create(
        schema_name=get_public_schema_name(), defaults={"name": "Stammkunde"}
    )
    Domain.objects.get_or_create(domain=settings.BASE_HOST, defaults={"tenant": public})
    if not User.objects.filter(email=OPERATOR_EMAIL).exists():
        User.objects.create_superuser(OPERATOR_EMAIL, PASSWORD, totp_secret=OPERATOR_TOTP_SECRET)
    for schema_name, name in MERCHANTS.items():
        if not Merchant.objects.filter(schema_name=schema_name).exists():
            merchant_provision(
                subdomain=schema_name, name=name, owner_email=owner_email(schema_name),
                owner_password=PASSWORD,
            )
        with schema_context(schema_name):
            if not User.objects.filter(email=owner_email(schema_name)).exists():
                User.objects.create_owner(email=owner_email(schema_name), password=PASSWORD)


def _tables(schema_name: str, keep: set[str]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
            [schema_name],
        )
        return [f'"{schema_name}"."{row[0]}"' for row in cursor.fetchall() if row[0] not in keep]


def baseline_restore() -> None:
    """Drop merchants a test made, empty what tests committed, then recreate the baseline."""
    connection.set_schema_to_public()
    baseline_schemas = {get_public_schema_name(), *MERCHANTS}
    for merchant in Merchant.objects.exclude(schema_name__in=baseline_schemas):
        merchant.delete(force_drop=True)
    tables = _tables(get_public_schema_name(), _PUBLIC_KEEP)
    append_only = []
    for schema_name in MERCHANTS:
        tables += _tables(schema_name, _MIGRATION_TABLES)
        append_only += [f'"{schema_name}"."{table}"' for table in APPEND_ONLY_TABLES]
    # The ledger refuses TRUNCATE (its triggers); a test database is emptied with them set aside,
    # in one transaction, so that they are back whatever happens.
    with transaction.atomic(), connection.cursor() as cursor:
        for table in append_only:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        for table in append_only:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    baseline_create()
