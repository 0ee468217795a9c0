"""The operator's logins: made by a command with the operator's row and key ring in place, so that
the authenticator app can be set up at the first sign-in; rows from before have their ring made."""
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from tenants.accounts.models import AuthenticatorDevice, User
from tenants.accounts.services import authenticator_for_enrolment
from tenants.models import Domain, Merchant

pytestmark = pytest.mark.django_db


def test_create_operator_makes_a_staff_login_that_can_set_up_its_authenticator(settings):
    call_command("create_operator", "ops@stammkunde.example", "--password", "Brötchen-am-Morgen-7",
                 "--full-name", "Olga Ops")

    with schema_context("public"):
        user = User.objects.get(email="ops@stammkunde.example")
        assert user.is_staff and user.check_password("Brötchen-am-Morgen-7")
        device = authenticator_for_enrolment(user)
        assert len(AuthenticatorDevice.objects.get(pk=device.pk).key) == 40
    assert Domain.objects.get(domain=settings.BASE_HOST).tenant.schema_name == "public"


def test_create_operator_makes_an_existing_account_staff_without_a_second_one():
    with schema_context("public"):
        User.objects.create_user("later-ops@stammkunde.example", "Brötchen-am-Morgen-7")

    call_command("create_operator", "Later-Ops@stammkunde.example", "--password", "Semmel-und-Brezel-9")

    with schema_context("public"):
        user = User.objects.get(email__iexact="later-ops@stammkunde.example")
        assert user.is_staff and user.check_password("Semmel-und-Brezel-9")


@pytest.mark.parametrize(("email", "password", "message"), [
    ("not-an-address", "Brötchen-am-Morgen-7", "keine E-Mail-Adresse"),
    ("ops2@stammkunde.example", "123", "zu kurz"),
    ("ops2@stammkunde.example", "", "braucht ein Passwort"),
])
def test_create_operator_refuses_bad_input_and_creates_nobody(email, password, message):
    with schema_context("public"):
        before = User.objects.count()

    with pytest.raises(CommandError, match=message):
        call_command("create_operator", email, "--password", password)

    with schema_context("public"):
        assert User.objects.count() == before


def test_the_migration_gives_an_operators_row_without_one_a_key_ring():
    Merchant.objects.filter(schema_name="public").update(key_ring={})
    migration = importlib.import_module("tenants.migrations.0005_operator_key_ring")

    migration.operator_key_ring_create(django_apps, None)

    ring = Merchant.objects.get(schema_name="public").key_ring
    assert ring["current"] == 1 and set(ring["index_key"]) == {"master", "key"}
