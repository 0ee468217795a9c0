"""The operator's side of the demo for `make dev`: an operator login, and the demo merchant onboarded
through the console's own service (company data, contract, terminal licence, a first print order of
blank cards, delivered long since and nearly handed out, so the reorder hint shows; a SEPA mandate
on file), so the console shows a merchant as the operator would have set it up, audit log included.
A second merchant, a café, has print orders in every other status: asked for in its back office,
ordered, in print and shipped; a third is in arrears. `seed_demo` then fills the demo merchant's
programs, cardholders and bookings. Running it again changes nothing that is already there."""
import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Invoice
from billing.services import billing_account_payment_method_set, invoice_create_for_month
from billing.stripe_gateway import PaymentMethodSetUp
from hq.models import PrintOrder
from hq.onboarding import merchant_onboard
from hq.printing.services import (
    print_order_advance,
    print_order_create,
    print_order_request,
    print_order_submit,
)
from hq.services import terminal_license_change
from tenants.accounts.models import User
from tenants.demo import (
    ARREARS_OWNER_EMAIL,
    ARREARS_SUBDOMAIN,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
    DEMO_SUBDOMAIN,
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
)
from tenants.models import Merchant
from tenants.services import operator_staff_ensure

CAFE_SUBDOMAIN = "cafe"
CAFE_OWNER_EMAIL = "owner@cafe.localhost"
# A small first order: the demo's dozen cardholders leave fewer than fifty blank cards of it.
DEMO_FIRST_CARDS = 60


def _backdate(order: PrintOrder, *, ordered: datetime.date) -> None:
    """Demo orders placed in the past: each step a few working days after the one before."""
    moment = timezone.make_aware(datetime.datetime.combine(ordered, datetime.time(9, 30)))
    steps = {"created_at": moment - datetime.timedelta(days=1), "ordered_at": moment,
             "in_production_at": moment + datetime.timedelta(days=5),
             "shipped_at": moment + datetime.timedelta(days=16), "delivered_at": moment + datetime.timedelta(days=18)}
    reached = {field: value for field, value in steps.items() if getattr(order, field) is not None}
    PrintOrder.objects.filter(pk=order.pk).update(**reached, estimated_delivery=ordered + datetime.timedelta(days=25))


class Command(BaseCommand):
    help = "Create an operator login and onboard the demo merchant as the console would."

    def handle(self, *args, **options):
        operator = User.objects.filter(email=OPERATOR_EMAIL).first() or operator_staff_ensure(
            email=OPERATOR_EMAIL, password=OPERATOR_PASSWORD, full_name="Operator")
        if not Merchant.objects.filter(schema_name=DEMO_SUBDOMAIN).exists():
            self.onboard_demo(operator)
        if not Merchant.objects.filter(schema_name=CAFE_SUBDOMAIN).exists():
            self.onboard_cafe(operator)
        if not Merchant.objects.filter(schema_name=ARREARS_SUBDOMAIN).exists():
            self.onboard_in_arrears(operator)

    @transaction.atomic
    def onboard_demo(self, operator: User) -> None:
        today = timezone.localdate()
        started = (today.replace(day=1) - datetime.timedelta(days=200)).replace(day=1)
        merchant = merchant_onboard(
            actor=operator, name="Bäckerei Demo", subdomain=DEMO_SUBDOMAIN, legal_name="Bäckerei Demo GmbH",
            street="Brotgasse 7", postcode="50667", city="Köln", country="DE", vat_id="DE123456789",
            billing_email="buchhaltung@demo.localhost", owner_email=DEMO_OWNER_EMAIL,
            contract_start=started, terminals=2, card_quantity=DEMO_FIRST_CARDS,
        )
        # The first cards came months ago; with the cardholders `seed_demo` registers, fewer than
        # fifty blank ones are left: the console and the back office suggest reordering.
        first_order = PrintOrder.objects.get(merchant=merchant)
        for status in ("in_production", "shipped", "delivered"):
            first_order = print_order_advance(order=first_order, to_status=status, actor=operator)
        _backdate(first_order, ordered=started - datetime.timedelta(days=21))
        # A second till since the Christmas business of the month before last.
        terminal_license_change(merchant=merchant, count=3, actor=operator, reason="zweite Filiale",
                                effective_on=(today.replace(day=1) - datetime.timedelta(days=40)).replace(day=1))
        # The SEPA mandate as Stripe's Checkout would have reported it (Stripe is not called locally).
        billing_account_payment_method_set(
            merchant=merchant, payment_method_type="sepa_debit", payment_method_id="pm_demo_sepa", actor=operator,
            set_up=PaymentMethodSetUp(
                setup_intent_id="seti_demo", status="succeeded", customer_id="", merchant_id=str(merchant.pk),
                created=timezone.now(), payment_method_id="pm_demo_sepa", payment_method_type="sepa_debit",
                last4="3000", sepa_bank_code="37040044", sepa_country="DE", mandate_reference="STAMMKUNDE-DEMO-0001"),
        )
        with schema_context(merchant.schema_name):
            owner = User.objects.get(email=DEMO_OWNER_EMAIL)
            owner.set_password(DEMO_OWNER_PASSWORD)
            owner.save(update_fields=["password"])
        self.stdout.write(f"Demo merchant onboarded at {merchant.primary_host}.")

    @transaction.atomic
    def onboard_cafe(self, operator: User) -> None:
        """A café onboarded a few weeks ago whose cards are on their way, with a reorder of its own."""
        today = timezone.localdate()
        cafe = merchant_onboard(
            actor=operator, name="Hofcafé Demo", subdomain=CAFE_SUBDOMAIN, legal_name="Hofcafé Demo UG",
            street="Am Markt 3", postcode="04109", city="Leipzig", country="DE", vat_id="",
            billing_email="kasse@cafe.localhost", owner_email=CAFE_OWNER_EMAIL,
            contract_start=today.replace(day=1), terminals=1, card_quantity=800,
        )
        shipped = PrintOrder.objects.get(merchant=cafe)
        for status in ("in_production", "shipped"):
            shipped = print_order_advance(order=shipped, to_status=status, actor=operator)
        _backdate(shipped, ordered=today - datetime.timedelta(days=20))
        in_print = print_order_submit(order=print_order_create(merchant=cafe, quantity=200, layout="standard",
                                                               actor=operator), actor=operator)
        in_print = print_order_advance(order=in_print, to_status="in_production", actor=operator)
        _backdate(in_print, ordered=today - datetime.timedelta(days=8))
        print_order_submit(order=print_order_create(merchant=cafe, quantity=100, layout="standard", actor=operator),
                           actor=operator)
        print_order_request(merchant=cafe, quantity=300, layout="standard", requested_by=CAFE_OWNER_EMAIL)
        self.stdout.write(f"Demo café onboarded at {cafe.primary_host}, with its print orders.")

    def onboard_in_arrears(self, operator: User) -> None:
        today = timezone.localdate()
        last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        merchant = merchant_onboard(
            actor=operator, name="Eiscafé Venezia", subdomain=ARREARS_SUBDOMAIN, legal_name="Eiscafé Venezia OHG",
            street="Hohe Straße 12", postcode="50667", city="Köln", country="DE", vat_id="",
            billing_email="rechnung@eiscafe.localhost", owner_email=ARREARS_OWNER_EMAIL,
            contract_start=(last_month - datetime.timedelta(days=300)).replace(day=1), terminals=1, card_quantity=250,
        )
        billing_account_payment_method_set(merchant=merchant, payment_method_type="sepa_debit",
                                           payment_method_id="pm_demo_sepa_closed", actor=operator)
        invoice = invoice_create_for_month(merchant=merchant, month=last_month, actor=operator)
        # As the monthly run and its three retries would have left it (no Stripe locally): the
        # debit came back each time, none is due any more, so the console flags the merchant.
        Invoice.objects.filter(pk=invoice.pk).update(
            status=Invoice.Status.FAILED, payment_attempts=4, next_retry_at=None,
            last_payment_error="Lastschrift zurückgegeben: Konto erloschen (AC04)")
        self.stdout.write(f"Merchant in arrears onboarded at {merchant.primary_host}.")
