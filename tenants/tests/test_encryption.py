"""Personal data is encrypted per merchant, table and field, found through blind indexes, and its
keys rotate without losing a value."""
import base64
import datetime
import importlib
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context, tenant_context

from tenants.accounts.models import AuthenticatorDevice
from tenants.encryption import (
    DecryptionError,
    KeyRingError,
    blind_index,
    decrypt,
    encrypt,
    key_ring_create,
    key_ring_rotate,
    normalise_email,
    normalise_phone,
)
from tenants.fields import (
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
    encrypted_models,
)
from tenants.management.commands import rotate_merchant_keys
from tenants.models import Merchant
from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY

# A registry of its own keeps this test-only model out of the project's: makemigrations and the
# rotation command never see it.
probe_apps = Apps(["tenants.accounts"])
TABLE = "encryption_probe"
BIRTHDAY = datetime.date(1964, 8, 12)
NEW_MASTER_KEY = "m2:" + base64.urlsafe_b64encode(b"2" * 32).decode()


class Secret(models.Model):
    name = EncryptedTextField()
    born = EncryptedDateField(null=True)
    extra = EncryptedJSONField(default=dict)
    email_index = models.CharField(max_length=64, blank=True)

    class Meta:
        apps = probe_apps
        app_label = "accounts"
        managed = False
        db_table = TABLE

    def __str__(self):
        return f"Secret #{self.pk}"


@pytest.fixture
def probe_tables(db, alice, bob):
    """The probe table in alice's and bob's schemas, gone again with the test's transaction."""
    for merchant in (alice, bob):
        with tenant_context(merchant), connection.schema_editor() as editor:
            editor.create_model(Secret)


def _raw_rows(merchant) -> list[tuple]:
    with tenant_context(merchant), connection.cursor() as cursor:
        cursor.execute(f"SELECT name, born, extra FROM {TABLE} ORDER BY id")
        return cursor.fetchall()


def _names() -> list[str]:
    return list(Secret.objects.order_by("id").values_list("name", flat=True))


def _email_index(email: str, merchant) -> str:
    return blind_index(normalise_email(email), schema_name=merchant.schema_name, field="email")


def test_values_round_trip_through_the_orm(probe_tables, alice):
    with tenant_context(alice):
        Secret.objects.create(name="Erika Mustermann", born=BIRTHDAY, extra={"Brot": "Dinkel"})
        Secret.objects.create(name="", born=None)

    # schema_context has no Merchant on the connection: the key ring is read from its row.
    with schema_context(alice.schema_name):
        rows = list(Secret.objects.order_by("id").values_list("name", "born", "extra"))

    assert rows == [("Erika Mustermann", BIRTHDAY, {"Brot": "Dinkel"}), ("", None, {})]


def test_bulk_create_and_update_encrypt_too(probe_tables, alice):
    with tenant_context(alice):
        Secret.objects.bulk_create([Secret(name="Anna"), Secret(name="Bernd")])
        Secret.objects.filter(born__isnull=True).update(name="Clara", born=BIRTHDAY)

        assert list(Secret.objects.values_list("name", "born")) == [("Clara", BIRTHDAY)] * 2
    assert all(name.startswith("v1:1:") and born.startswith("v1:1:")
               for name, born, _ in _raw_rows(alice))


def test_a_raw_select_shows_no_plaintext(probe_tables, alice):
    with tenant_context(alice):
        Secret.objects.create(name="Erika Mustermann", born=BIRTHDAY, extra={"note": "Stammgast"})
        Secret.objects.create(name="")

    rows = _raw_rows(alice)

    values = [value for row in rows for value in row if value is not None]
    assert len(values) == 5  # the second row's birthday is NULL
    for value in values:
        assert value.startswith("v1:1:")
        for plaintext in ("Erika", "Mustermann", "1964", "08-12", "note", "Stammgast"):
            assert plaintext not in value
    # Even the empty name is a token: a SELECT does not tell which values are blank.
    assert rows[1][0] != ""


def test_a_value_copied_into_bobs_table_does_not_decrypt_there(probe_tables, alice, bob, charlie):
    with tenant_context(alice):
        Secret.objects.create(name="Erika Mustermann")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO bob.{TABLE} (name, extra, email_index) "
            f"SELECT name, extra, email_index FROM alice.{TABLE}"
        )

    with tenant_context(bob), pytest.raises(DecryptionError, match="bob.encryption_probe.name"):
        Secret.objects.get()
    token = _raw_rows(alice)[0][0]
    for schema_name in (bob.schema_name, charlie.schema_name):
        with pytest.raises(DecryptionError):
            decrypt(token, schema_name=schema_name, table=TABLE, field="name")
    with tenant_context(alice):
        assert Secret.objects.get().name == "Erika Mustermann"


def test_a_value_moved_to_another_column_or_table_does_not_decrypt(probe_tables, alice):
    with tenant_context(alice):
        secret = Secret.objects.create(name="1964-08-12", born=BIRTHDAY)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET born = name WHERE id = %s", [secret.pk])

        with pytest.raises(DecryptionError, match="alice.encryption_probe.born"):
            Secret.objects.values_list("born", flat=True).get()
    token = _raw_rows(alice)[0][0]
    with pytest.raises(DecryptionError):
        decrypt(token, schema_name=alice.schema_name, table="other_table", field="name")
    assert decrypt(token, schema_name=alice.schema_name, table=TABLE, field="name") == "1964-08-12"


def test_every_changed_character_of_a_token_is_refused(alice, db):
    context = {"schema_name": alice.schema_name, "table": TABLE, "field": "name"}
    token = encrypt("Erika Mustermann", **context)

    for position, character in enumerate(token):
        altered = token[:position] + ("A" if character != "A" else "B") + token[position + 1:]
        with pytest.raises(DecryptionError):
            decrypt(altered, **context)
    for not_a_token in ("Erika Mustermann", "", token[:-4], token + "A"):
        with pytest.raises(DecryptionError):
            decrypt(not_a_token, **context)
    assert decrypt(token, **context) == "Erika Mustermann"


def test_filters_other_than_isnull_are_refused_with_a_pointer_to_the_blind_index(
    probe_tables, alice
):
    with tenant_context(alice):
        Secret.objects.create(name="Erika", born=BIRTHDAY)

        for lookup in ("name", "name__icontains", "name__in", "born__gte", "born__year",
                       "extra__Brot"):
            with pytest.raises(FieldError, match="is encrypted.*blind index"):
                Secret.objects.filter(**{lookup: "x"})
        assert Secret.objects.filter(born__isnull=False).count() == 1
        assert Secret.objects.filter(born__isnull=True).count() == 0


def test_the_operators_values_use_the_operators_own_ring_and_need_one(db, alice):
    from tenants.encryption import decrypt, encrypt
    from tenants.models import Merchant

    assert connection.schema_name == "public"
    token = encrypt("operator's secret", schema_name="public", table=TABLE, field="name")

    assert decrypt(token, schema_name="public", table=TABLE, field="name") == "operator's secret"
    with pytest.raises(DecryptionError):
        decrypt(token, schema_name="alice", table=TABLE, field="name")
    Merchant.objects.filter(schema_name="public").update(key_ring={})
    with pytest.raises(KeyRingError, match="public schema"):
        encrypt("x", schema_name="public", table=TABLE, field="name")


def test_blind_index_of_an_email_ignores_case_and_spacing_and_differs_per_merchant(
    probe_tables, alice, bob, charlie
):
    index = _email_index(" Erika.Mustermann@Example.COM ", alice)
    with tenant_context(alice):
        Secret.objects.create(name="Erika", email_index=index)

        found = Secret.objects.get(email_index=_email_index("erika.mustermann@example.com", alice))
    assert found.name == "Erika"
    assert len(index) == 64 and int(index, 16) >= 0
    assert len({_email_index("erika.mustermann@example.com", merchant)
                for merchant in (alice, bob, charlie)}) == 3
    # The same text in another field gives another index.
    assert blind_index("+491711234567", schema_name="alice", field="email") != blind_index(
        "+491711234567", schema_name="alice", field="phone"
    )


@pytest.mark.parametrize(
    "number", ["0171 1234567", "+49 171 1234567", "+49 (0)171 1234567", "0049 171-123 45 67",
               "(0171) 123 45 67", " 0171/1234567 ",
               "\u2060+49 171 1234567"],  # as the export writes it, read back by an import
)
def test_german_numbers_in_any_spelling_normalise_to_one_form(number):
    assert normalise_phone(number, country="DE") == "+491711234567"


def test_a_national_number_takes_the_merchants_country_code():
    assert normalise_phone("0664 1234567", country="AT") == "+436641234567"
    assert normalise_phone("0664 1234567", country="DE") == "+496641234567"
    assert normalise_phone("+43 664 1234567", country="DE") == "+436641234567"
    assert normalise_phone("1234567", country="DE") == "1234567"
    assert normalise_phone(" - ", country="DE") == ""


def test_after_rotation_old_values_decrypt_and_new_ones_use_the_new_key(probe_tables, alice):
    # Another process's view of alice, read before the rotation.
    stale = Merchant.objects.get(schema_name=alice.schema_name)
    index_before = _email_index("erika@example.com", alice)
    with tenant_context(alice):
        Secret.objects.create(name="Erika")

    assert key_ring_rotate(merchant=alice) == 2

    with tenant_context(alice):
        Secret.objects.create(name="Max")
        assert _names() == ["Erika", "Max"]
    assert [row[0][:5] for row in _raw_rows(alice)] == ["v1:1:", "v1:2:"]
    # A ring read before the rotation still finds the new key for values written under it.
    with tenant_context(stale):
        assert _names() == ["Erika", "Max"]
    assert _email_index("erika@example.com", alice) == index_before


def test_rotation_command_reencrypts_every_row_and_keeps_the_blind_index(
    probe_tables, alice, bob, monkeypatch
):
    monkeypatch.setattr(rotate_merchant_keys, "encrypted_models", lambda public: [] if public else [Secret])
    emails = [f"kunde{n}@example.com" for n in range(5)]
    with tenant_context(alice):
        Secret.objects.bulk_create(
            [Secret(name=email, born=BIRTHDAY, email_index=_email_index(email, alice))
             for email in emails] + [Secret(name="ohne Geburtstag")]
        )
    with tenant_context(bob):
        Secret.objects.create(name="Bernd")
    out = StringIO()

    call_command("rotate_merchant_keys", schema="alice", batch_size=2, stdout=out)

    assert "alice: data key version 2" in out.getvalue()
    assert "alice accounts.Secret: re-encrypted 6 rows" in out.getvalue()
    rows = _raw_rows(alice)
    assert len(rows) == 6
    assert all(value.startswith("v1:2:") for row in rows for value in row if value is not None)
    assert rows[-1][1] is None
    with tenant_context(Merchant.objects.get(schema_name="alice")):
        for email in emails:
            assert Secret.objects.get(email_index=_email_index(email, alice)).name == email
    # Bob was not rotated.
    assert Merchant.objects.get(schema_name="bob").key_ring["current"] == 1
    assert _raw_rows(bob)[0][0].startswith("v1:1:")

    out = StringIO()
    call_command("rotate_merchant_keys", schema="alice", reencrypt_only=True, stdout=out)

    assert "re-encrypted 0 rows" in out.getvalue()
    assert Merchant.objects.get(schema_name="alice").key_ring["current"] == 2


def test_rotation_command_refuses_an_unknown_schema_and_rotates_nothing(alice, db):
    with pytest.raises(CommandError, match="no merchant with the schema “nobody”"):
        call_command("rotate_merchant_keys", schema="nobody", stdout=StringIO())

    assert set(Merchant.objects.exclude(schema_name="public").values_list(
        "key_ring__current", flat=True
    )) == {1}


def test_rotation_rewraps_the_keys_so_the_old_master_key_can_go(probe_tables, alice, settings):
    with tenant_context(alice):
        Secret.objects.create(name="Erika")
    settings.FIELD_ENCRYPTION_MASTER_KEYS = [NEW_MASTER_KEY, *settings.FIELD_ENCRYPTION_MASTER_KEYS]

    key_ring_rotate(merchant=alice)
    settings.FIELD_ENCRYPTION_MASTER_KEYS = [NEW_MASTER_KEY]

    assert {wrapped["master"] for wrapped in alice.key_ring["data_keys"].values()} == {"m2"}
    assert alice.key_ring["index_key"]["master"] == "m2"
    with tenant_context(alice):
        assert Secret.objects.get().name == "Erika"


def test_the_command_rotates_the_operators_ring_too_so_the_old_master_key_can_go(alice, db, settings):
    settings.FIELD_ENCRYPTION_MASTER_KEYS = [NEW_MASTER_KEY, *settings.FIELD_ENCRYPTION_MASTER_KEYS]
    out = StringIO()

    call_command("rotate_merchant_keys", stdout=out)
    settings.FIELD_ENCRYPTION_MASTER_KEYS = [NEW_MASTER_KEY]

    operator = Merchant.objects.get(schema_name="public")
    assert "public: data key version 2" in out.getvalue()
    assert "public accounts.AuthenticatorDevice: re-encrypted 1 rows" in out.getvalue()
    assert {wrapped["master"] for wrapped in operator.key_ring["data_keys"].values()} == {"m2"}
    with tenant_context(operator), connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_authenticatordevice")
        assert [row[0][:5] for row in cursor.fetchall()] == ["v1:2:"]
        assert AuthenticatorDevice.objects.get(user__email=OPERATOR_EMAIL).key == OPERATOR_TOTP_KEY


def test_a_key_ring_needing_a_master_key_no_longer_configured_is_a_clear_error(alice, db, settings):
    settings.FIELD_ENCRYPTION_MASTER_KEYS = [NEW_MASTER_KEY, *settings.FIELD_ENCRYPTION_MASTER_KEYS]
    key_ring_rotate(merchant=alice)
    settings.FIELD_ENCRYPTION_MASTER_KEYS = [
        "m3:" + base64.urlsafe_b64encode(b"3" * 32).decode()
    ]

    with pytest.raises(KeyRingError, match="needs master key “m2”, which FIELD_ENCRYPTION_MASTER"):
        encrypt("Erika", schema_name=alice.schema_name, table=TABLE, field="name")


def test_a_key_ring_copied_to_another_merchant_does_not_open(alice, bob, db):
    Merchant.objects.filter(pk=bob.pk).update(key_ring=alice.key_ring)

    with pytest.raises(KeyRingError, match="does not open the key ring of merchant “bob”"):
        encrypt("Erika", schema_name=bob.schema_name, table=TABLE, field="name")


def test_a_malformed_master_key_is_refused_without_echoing_it(settings):
    settings.FIELD_ENCRYPTION_MASTER_KEYS = ["m1:c2VjcmV0LWJ1dC1zaG9ydA=="]

    with pytest.raises(ImproperlyConfigured, match="entry 1 is not") as error:
        key_ring_create(schema_name="alice")

    assert "c2VjcmV0" not in str(error.value)


def test_provisioned_merchants_have_a_key_ring_of_wrapped_keys_only(alice):
    assert alice.key_ring["current"] == 1
    assert set(alice.key_ring["data_keys"]) == {"1"}
    assert set(alice.key_ring["data_keys"]["1"]) == {"master", "key"}
    assert set(alice.key_ring["index_key"]) == {"master", "key"}
    # Wrapped: the nonce and the tag make it longer than the 32-byte key itself.
    assert len(base64.urlsafe_b64decode(alice.key_ring["index_key"]["key"])) == 12 + 32 + 16


def test_the_migration_gives_merchants_made_before_it_a_key_ring(alice, db):
    Merchant.objects.filter(pk=alice.pk).update(key_ring={})
    operators_ring = Merchant.objects.get(schema_name="public").key_ring
    migration = importlib.import_module("tenants.migrations.0002_merchant_key_ring")

    migration.key_rings_create(django_apps, None)

    alice.refresh_from_db()
    assert alice.key_ring["current"] == 1
    # The operator's row keeps its own (tenants.services.operator_tenant_ensure makes it).
    assert Merchant.objects.get(schema_name="public").key_ring == operators_ring
    assert decrypt(
        encrypt("Erika", schema_name="alice", table=TABLE, field="name"),
        schema_name="alice", table=TABLE, field="name",
    ) == "Erika"


def test_encrypted_models_are_found_in_the_app_registry():
    assert encrypted_models(registry=probe_apps) == [Secret]
    assert Secret not in encrypted_models()


@pytest.mark.parametrize(
    "field",
    [EncryptedTextField(blank=True), EncryptedDateField(null=True),
     EncryptedJSONField(default=dict)],
)
def test_fields_deconstruct_for_migrations(field):
    name, path, args, kwargs = field.deconstruct()

    rebuilt = import_string(path)(*args, **kwargs)

    assert path == f"tenants.fields.{type(field).__name__}"
    assert rebuilt.deconstruct() == (name, path, args, kwargs)
