"""`make dev`'s demo: the merchant onboarded through the console's service (so the console shows its
contract, licence, print order and audit log), then filled with programs, cardholders and bookings;
both commands run again change nothing."""
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django_tenants.utils import schema_context

from hq.models import OperatorAuditLog, PrintOrder
from hq.printing.selectors import reorder_suggestion
from tenants.accounts.models import User
from tenants.demo import DEMO_CASHIER_EMAIL, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, OPERATOR_EMAIL
from tenants.models import Merchant

pytestmark = pytest.mark.django_db


def _counts(merchant) -> dict:
    from loyalty.models import Booking, Card, Program

    with schema_context(merchant.schema_name):
        from loyalty.models import Cardholder, Consent, CustomField

        return {"bookings": Booking.objects.count(), "cards": Card.objects.count(),
                "programs": Program.objects.count(), "audit": OperatorAuditLog.objects.count(),
                "cardholders": Cardholder.objects.count(), "consents": Consent.objects.count(),
                "fields": CustomField.objects.count()}


def test_the_demo_is_onboarded_as_the_console_would_and_seeding_again_changes_nothing():
    call_command("seed_demo_operator")
    call_command("seed_demo")

    demo = Merchant.objects.get(schema_name="demo")
    operator = User.objects.get(email=OPERATOR_EMAIL)
    assert operator.is_staff
    assert demo.company.city == "Köln" and demo.contract.starts_on.day == 1
    assert list(demo.terminal_licenses.order_by("effective_month").values_list("count", flat=True)) == [2, 3]
    assert set(OperatorAuditLog.objects.filter(merchant=demo, actor=operator).values_list("action", flat=True)) >= {
        "merchant.onboard", "contract.create", "license.change", "print_order.create", "print_order.submit"}
    with schema_context("demo"):
        from loyalty.cardnumbers import card_number_from_serial
        from loyalty.models import Card, Cardholder, Consent, CustomField, Program

        assert set(Program.objects.values_list("kind", flat=True)) == {"points", "prepaid", "stamps", "voucher"}
        assert Card.objects.filter(cardholder__isnull=False).count() == 12
        assert set(CustomField.objects.values_list("kind", flat=True)) == set(CustomField.Kind.values)
        assert Cardholder.objects.get(cards__number=card_number_from_serial(9)).custom_data["lieblingsbrot"] == "Vollkorn"
        assert {(c.purpose, c.granted) for c in Consent.objects.all()} >= {
            ("terms_and_privacy", True), ("newsletter", True), ("newsletter", False), ("analysis", True)}
        assert Card.objects.filter(status="unissued").count() == 48  # of the first 60, less 12 handed out
        assert authenticate(username=DEMO_OWNER_EMAIL, password=DEMO_OWNER_PASSWORD) is not None
        assert User.objects.filter(email=DEMO_CASHIER_EMAIL).exists()
    # The demo's first order was delivered long ago and its blank cards run low: the hint shows.
    [first] = PrintOrder.objects.filter(merchant=demo)
    assert (first.status, first.quantity, first.delivered_by) == ("delivered", 60, operator)
    assert first.ordered_at < first.in_production_at < first.shipped_at < first.delivered_at
    assert reorder_suggestion(merchant=demo)["blank_cards"] == 48
    # The café's orders stand in every other status, one asked for in its back office.
    cafe = Merchant.objects.get(schema_name="cafe")
    assert sorted(PrintOrder.objects.filter(merchant=cafe).values_list("status", "quantity", "requested_by")) == [
        ("draft", 300, "owner@cafe.localhost"), ("in_production", 200, ""), ("ordered", 100, ""),
        ("shipped", 800, "")]
    assert reorder_suggestion(merchant=cafe) is None
    before = _counts(demo), PrintOrder.objects.count()

    call_command("seed_demo_operator")
    call_command("seed_demo")

    assert (_counts(demo), PrintOrder.objects.count()) == before
