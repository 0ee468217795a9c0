"""`make dev`'s demo shows billing's two cases: the demo merchant pays by a SEPA mandate on file, a
second merchant is in arrears; seeding again adds nothing."""
import pytest
from django.core.management import call_command

from billing.models import BillingAccount, Invoice
from billing.selectors import merchants_in_arrears
from tenants.models import Merchant

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_sepa_mandate_on_file_and_a_merchant_in_arrears():
    call_command("seed_demo_operator")

    demo, eiscafe = Merchant.objects.get(schema_name="demo"), Merchant.objects.get(schema_name="eiscafe")
    account = BillingAccount.objects.get(merchant=demo)
    assert (account.payment_method_type, account.payment_method_last4, account.sepa_mandate_reference) == (
        "sepa_debit", "3000", "STAMMKUNDE-DEMO-0001")
    assert merchants_in_arrears() == {eiscafe.pk}
    invoices = Invoice.objects.count()

    call_command("seed_demo_operator")

    assert Invoice.objects.count() == invoices
    assert BillingAccount.objects.filter(merchant__schema_name__in=["demo", "eiscafe"]).count() == 2
