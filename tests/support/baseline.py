"""The state every test starts from: the operator's row and login, and three merchants.

Tests that run inside a transaction (pytest-django's `db`) roll back to it on their own; tests
that commit (`committed`) are put back to it by `baseline_restore` afterwards."""
import importlib

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from loyalty.models import ConsentWording, ShopSettings
from tenants.accounts.models import AuthenticatorDevice, User
from tenants.models import Merchant
from tenants.services import merchant_provision, operator_tenant_ensure

OPERATOR_EMAIL = "operator@stammkunde.localhost"
# The operator's authenticator key in hex (what its app holds); tests make its codes.
OPERATOR_TOTP_KEY = "48656c6c6f21deadbeef48656c6c6f21deadbeef"
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
PUBLIC_APPEND_ONLY_TABLES = ("hq_operatorauditlog",)
# The first version of every consent's wording, as the migration writes it into every schema: the
# emptying of what tests committed removes it with the versions tests wrote, and it is put back.
FIRST_WORDINGS = importlib.import_module("loyalty.migrations.0012_portal_accounts_wallet").FIRST_WORDINGS


def owner_email(schema_name: str) -> str:
    return f"owner@{schema_name}.example"


def baseline_create() -> None:
    connection.set_schema_to_public()
    operator_tenant_ensure()
    if not User.objects.filter(email=OPERATOR_EMAIL).exists():
        operator = User.objects.create_superuser(OPERATOR_EMAIL, PASSWORD)
        AuthenticatorDevice.objects.create(user=operator, name="Test", confirmed=True,
                                           key=OPERATOR_TOTP_KEY)
    for schema_name, name in MERCHANTS.items():
        if not Merchant.objects.filter(schema_name=schema_name).exists():
            merchant_provision(
                subdomain=schema_name, name=name, owner_email=owner_email(schema_name),
                owner_password=PASSWORD,
            )
        with schema_context(schema_name):
            if not User.objects.filter(email=owner_email(schema_name)).exists():
                User.objects.create_owner(email=owner_email(schema_name), password=PASSWORD)
            # As for merchants onboarded before two-factor sign-in was required by default; the
            # tests of two-factor sign-in require it themselves.
            ShopSettings.objects.get_or_create(pk=1, defaults={"two_factor_required": False})
            # The consents' first wordings, as migration 0012 writes them (a restore empties the table).
            for purpose, (german, english) in FIRST_WORDINGS.items():
                ConsentWording.objects.get_or_create(purpose=purpose, version=1,
                                                     defaults={"text_de": german, "text_en": english})


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
    tables = _tables(get_public_schema_name(), _PUBLIC_KEEP)
    append_only = [f'"{get_public_schema_name()}"."{table}"' for table in PUBLIC_APPEND_ONLY_TABLES]
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
    # After the operator's audit log is empty: its rows keep the merchants they name.
    for merchant in Merchant.objects.exclude(schema_name__in=baseline_schemas):
        merchant.delete(force_drop=True)
    baseline_create()
