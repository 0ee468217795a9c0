"""Provisioning makes a working merchant, or nothing at all."""
import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context, schema_exists

from tenants.accounts.models import AuthenticatorDevice, User
from tenants.models import Domain, Merchant
from tenants.services import merchant_provision
from tests.support.clients import authenticator_code


def _tables_in(schema_name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema_name])
        return {row[0] for row in cursor.fetchall()}


def _tenant_tables() -> set[str]:
    tables = {"django_migrations"}
    for app_path in settings.TENANT_APPS:
        config = next(c for c in apps.get_app_configs() if c.name == app_path)
        for model in config.get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    return tables


@pytest.mark.django_db
def test_provisioned_merchant_answers_on_its_host_and_owner_signs_in(host_client):
    merchant = merchant_provision(
        subdomain="baeckerei-mueller", name="Bäckerei Müller",
        owner_email="Chefin@Mueller.example", owner_password="a long test password",
    )

    assert merchant.schema_name == "baeckerei_mueller"
    assert merchant.primary_host == "baeckerei-mueller.stammkunde.localhost"
    client = host_client(merchant)
    landing = client.get("/")
    assert landing.status_code == 200
    assert "Bäckerei Müller" in landing.content.decode()

    signed_in = client.post(
        "/manage/login/", {"username": "chefin@mueller.example", "password": "a long test password"}
    )
    # A new merchant requires two-factor sign-in: the owner's first sign-in sets the app up.
    assert signed_in.status_code == 302
    assert signed_in["Location"].startswith("/manage/login/code/")
    with schema_context(merchant.schema_name):
        assert client.get(signed_in["Location"]).context["enrolling"]
        key = AuthenticatorDevice.objects.get().key
    assert client.post(signed_in["Location"], {"code": authenticator_code(key)})["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


@pytest.mark.django_db
def test_provisioned_schema_has_every_tenant_table_and_owner():
    merchant = merchant_provision(subdomain="eisdiele", name="Eisdiele", owner_email="eis@example.com")

    assert _tenant_tables() <= _tables_in(merchant.schema_name)
    with schema_context(merchant.schema_name):
        owner = User.objects.get()
        assert owner.email == "eis@example.com"
        assert owner.is_superuser and not owner.is_staff
        assert not owner.has_usable_password()


@pytest.mark.django_db
def test_provisioning_the_same_subdomain_twice_fails_clearly_and_leaves_nothing(host_client):
    first = merchant_provision(subdomain="kiosk", name="Kiosk", owner_email="a@kiosk.example")

    with pytest.raises(ValidationError) as error, translation.override("en"):
        merchant_provision(subdomain="Kiosk", name="Other Kiosk", owner_email="b@kiosk.example")

    assert error.value.code == "subdomain_taken"
    assert error.value.messages == [
        "The subdomain “kiosk” is already taken. Please choose another one."
    ]
    assert Merchant.objects.filter(schema_name="kiosk").get() == first
    assert Domain.objects.filter(domain__startswith="kiosk.").count() == 1
    with schema_context("kiosk"):
        assert list(User.objects.values_list("email", flat=True)) == ["a@kiosk.example"]
    assert "Other Kiosk" not in host_client(first).get("/").content.decode()


def test_failure_after_the_schema_was_cloned_rolls_everything_back(committed):
    with pytest.raises(ValueError):
        merchant_provision(subdomain="halbfertig", name="Halbfertig", owner_email="")

    assert not Merchant.objects.filter(schema_name="halbfertig").exists()
    assert not Domain.objects.filter(domain__startswith="halbfertig.").exists()
    assert not schema_exists("halbfertig")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("subdomain", "code"),
    [("ab", "subdomain_invalid"), ("-kiosk", "subdomain_invalid"), ("ki_osk", "subdomain_invalid"),
     ("a--b", "subdomain_invalid"), ("www", "subdomain_reserved"), ("pg-toast", "subdomain_reserved")],
)
def test_bad_subdomains_are_refused_before_anything_is_created(subdomain, code):
    schemas_before = Merchant.objects.count()

    with pytest.raises(ValidationError) as error:
        merchant_provision(subdomain=subdomain, name="X", owner_email="x@example.com")

    assert error.value.code == code
    assert Merchant.objects.count() == schemas_before


@pytest.mark.django_db
def test_management_command_provisions_and_refuses_a_taken_subdomain(capsys):
    call_command("provision_merchant", "hofladen", name="Hofladen", owner_email="hof@example.com")

    assert "hofladen.stammkunde.localhost" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Die Subdomain „hofladen“ ist bereits vergeben"):
        call_command("provision_merchant", "hofladen", name="Again", owner_email="x@example.com")
    assert Merchant.objects.filter(schema_name="hofladen").get().name == "Hofladen"


def _triggers_in(schema_name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
            [schema_name],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_a_new_schema_replays_the_recorded_template_with_its_triggers_and_rows():
    from tenants.models import SchemaTemplate

    recording = SchemaTemplate.objects.get()
    merchant = merchant_provision(subdomain="replay", name="Replay", owner_email="r@example.com")

    assert "django_migrations" in recording.tables_with_rows
    assert _triggers_in("replay") == _triggers_in(settings.TENANT_TEMPLATE_SCHEMA) != set()
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "replay".django_migrations')
        migrated = cursor.fetchone()[0]
        cursor.execute(f'SELECT count(*) FROM "{settings.TENANT_TEMPLATE_SCHEMA}".django_migrations')
        assert migrated == cursor.fetchone()[0] > 0
    with schema_context(merchant.schema_name):
        assert User.objects.get().email == "r@example.com"


@pytest.mark.django_db
def test_without_a_recording_provisioning_falls_back_to_cloning():
    from tenants.models import SchemaTemplate

    SchemaTemplate.objects.all().delete()

    merchant = merchant_provision(subdomain="fallback", name="Fallback", owner_email="f@example.com")

    assert _tenant_tables() <= _tables_in(merchant.schema_name)
    assert _triggers_in("fallback") == _triggers_in(settings.TENANT_TEMPLATE_SCHEMA)
