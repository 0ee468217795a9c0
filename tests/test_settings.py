"""Production settings refuse to start without their secrets; with them, the deploy check passes."""
import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "k3y-" + "9f8e7d6c5b4a" * 6
MASTER_KEYS = "m1:" + base64.urlsafe_b64encode(bytes(range(32))).decode()
STRIPE_SECRETS = {
    "STRIPE_SECRET_KEY": "sk_live_" + "x" * 24, "STRIPE_WEBHOOK_SECRET": "whsec_" + "y" * 32,
}
SELLER = {
    "BILLING_OPERATOR_NAME": "Stammkunde GmbH", "BILLING_OPERATOR_STREET": "Speicherstadt 7",
    "BILLING_OPERATOR_POSTCODE": "20457", "BILLING_OPERATOR_CITY": "Hamburg",
    "BILLING_OPERATOR_VAT_ID": "DE811907980", "BILLING_OPERATOR_EMAIL": "rechnung@stammkunde.de",
    "BILLING_OPERATOR_REGISTER": "Amtsgericht Hamburg, HRB 187654",
}
WALLET_IDS = {"WALLET_PASS_TYPE_ID": "pass.de.example.karte", "WALLET_TEAM_ID": "A1B2C3D4E5"}


@pytest.fixture
def wallet_files(tmp_path) -> dict[str, str]:
    """A pass type certificate, its key and an intermediate, as production names them."""
    from loyalty.wallet.certificates import development_chain

    files = development_chain(tmp_path)
    return {**WALLET_IDS, "WALLET_CERT_FILE": str(files["certificate"]), "WALLET_KEY_FILE": str(files["key"]),
            "WALLET_WWDR_FILE": str(files["intermediate"])}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_database_url():
    result = _manage("check", DJANGO_SECRET_KEY="x" * 64, DATABASE_URL="")

    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    "master_keys", ["", "local-only:x", f"{MASTER_KEYS},local-only:x"],
    ids=["unset", "the local default", "the local default among others"],
)
def test_production_refuses_to_start_without_its_own_field_encryption_keys(master_keys):
    result = _manage(
        "check", DJANGO_SECRET_KEY=SECRET_KEY, FIELD_ENCRYPTION_MASTER_KEYS=master_keys
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_MASTER_KEYS must be set in production" in result.stderr


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_refuses_to_start_without_its_stripe_secrets(missing):
    result = _manage(
        "check", DJANGO_SECRET_KEY=SECRET_KEY, FIELD_ENCRYPTION_MASTER_KEYS=MASTER_KEYS,
        **{**STRIPE_SECRETS, missing: ""},
    )

    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set in production" in result.stderr


@pytest.mark.parametrize("missing", ["WALLET_CERT_FILE", "WALLET_KEY_FILE", "WALLET_WWDR_FILE", "WALLET_PASS_TYPE_ID",
                                     "WALLET_TEAM_ID", "a file"])
def test_production_refuses_to_start_without_its_wallet_pass_certificate(missing, wallet_files):
    wallet = {**wallet_files, missing: ""} if missing != "a file" else {
        **wallet_files, "WALLET_KEY_FILE": wallet_files["WALLET_KEY_FILE"] + ".gone"}
    result = _manage("check", DJANGO_SECRET_KEY=SECRET_KEY, FIELD_ENCRYPTION_MASTER_KEYS=MASTER_KEYS,
                     **STRIPE_SECRETS, **SELLER, **wallet)

    assert result.returncode != 0
    assert "WALLET_PASS_TYPE_ID, WALLET_TEAM_ID, WALLET_CERT_FILE, WALLET_KEY_FILE and WALLET_WWDR_FILE must be set" in (
        result.stderr)


@pytest.mark.parametrize(("changed", "named"), [
    ({}, "BILLING_OPERATOR_NAME, BILLING_OPERATOR_STREET, BILLING_OPERATOR_POSTCODE, BILLING_OPERATOR_CITY, "
         "BILLING_OPERATOR_VAT_ID, BILLING_OPERATOR_EMAIL, BILLING_OPERATOR_REGISTER"),
    ({**SELLER, "BILLING_OPERATOR_VAT_ID": "DE000000000"}, "BILLING_OPERATOR_VAT_ID"),
    ({**SELLER, "BILLING_OPERATOR_REGISTER": "Amtsgericht Hamburg, HRB 000000"}, "BILLING_OPERATOR_REGISTER"),
    ({**SELLER, "BILLING_OPERATOR_STREET": "Musterstraße 1"}, "BILLING_OPERATOR_STREET"),
    ({**SELLER, "BILLING_OPERATOR_EMAIL": "billing@stammkunde.localhost"}, "BILLING_OPERATOR_EMAIL"),
    ({**SELLER, "BILLING_OPERATOR_CITY": " "}, "BILLING_OPERATOR_CITY"),
    ({**SELLER, "BILLING_OPERATOR_VAT_ID": "DE811907981"}, "none"),  # a wrong check digit
], ids=["none set", "placeholder VAT id", "placeholder register", "sample street", "local address",
        "blank city", "invalid VAT id"])
def test_production_refuses_to_start_with_placeholder_seller_data(changed, named, wallet_files):
    result = _manage("check", DJANGO_SECRET_KEY=SECRET_KEY, FIELD_ENCRYPTION_MASTER_KEYS=MASTER_KEYS,
                     **STRIPE_SECRETS, **wallet_files, **changed)

    assert result.returncode != 0
    assert "The seller's details on invoices must be set in production" in result.stderr
    assert f"Not set: {named}." in result.stderr


def test_production_with_its_secrets_passes_the_deploy_check(wallet_files):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SECRET_KEY=SECRET_KEY, FIELD_ENCRYPTION_MASTER_KEYS=MASTER_KEYS, **STRIPE_SECRETS, **wallet_files,
        **SELLER,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_no_model_change_lacks_a_migration(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
