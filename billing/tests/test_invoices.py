"""Monthly terminal invoices: the count in force for the month, VAT, gapless numbers, cancellations."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.errors import CancellationReasonRequired, CompanyProfileMissing, InvoiceNotCancellable
from billing.models import Invoice, InvoiceLine, InvoiceNumberCounter
from billing.services import billing_run, invoice_cancel, invoice_create_for_month
from billing.tax import REVERSE_CHARGE_NOTE
from billing.tests.conftest import MAY, D, sent
from hq.services import terminal_license_change

pytestmark = pytest.mark.django_db


def _year() -> int:
    return timezone.localdate().year


def test_raising_terminals_from_2_to_5_on_20_may_bills_may_and_later_at_5_and_april_at_2(alice, billable):
    billable(alice, terminals=2)
    terminal_license_change(merchant=alice, count=5, effective_on=D(2026, 5, 20), actor=None)

    april = invoice_create_for_month(merchant=alice, month=D(2026, 4, 1))
    may = invoice_create_for_month(merchant=alice, month=D(2026, 5, 31))
    june = invoice_create_for_month(merchant=alice, month=D(2026, 6, 1))

    assert [(i.period, i.lines.get().quantity, i.net_cents) for i in (april, may, june)] == [
        (D(2026, 4, 1), 2, 3980), (D(2026, 5, 1), 5, 9950), (D(2026, 6, 1), 5, 9950)]
    assert (may.vat_rate_percent, may.vat_cents, may.gross_cents) == (Decimal("19.00"), 1891, 11841)
    line = may.lines.get()
    assert (line.unit_price_cents, line.amount_cents) == (1990, 9950)
    assert "05/2026" in line.description


def test_the_fee_comes_from_the_settings(alice, billable, settings):
    settings.BILLING_TERMINAL_FEE_CENTS = 2500
    billable(alice, terminals=3)

    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    assert (invoice.net_cents, invoice.lines.get().unit_price_cents) == (7500, 2500)


def test_a_month_without_terminals_gets_no_invoice_and_uses_no_number(alice, billable):
    billable(alice, terminals=2)
    terminal_license_change(merchant=alice, count=0, effective_on=D(2026, 5, 3), actor=None)

    assert invoice_create_for_month(merchant=alice, month=MAY) is None
    assert invoice_create_for_month(merchant=alice, month=D(2025, 12, 1)) is None  # before the first licence
    assert not Invoice.objects.exists()
    assert not InvoiceNumberCounter.objects.filter(last_sequence__gt=0).exists()


def test_austrian_business_with_a_vat_id_is_billed_under_reverse_charge(alice, billable):
    billable(alice, terminals=5, country="AT", vat_id="ATU13585627")

    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    assert (invoice.net_cents, invoice.vat_rate_percent, invoice.vat_cents, invoice.gross_cents) == (
        9950, Decimal("0.00"), 0, 9950)
    assert invoice.reverse_charge is True
    assert invoice.tax_note == REVERSE_CHARGE_NOTE


def test_austrian_business_without_a_vat_id_pays_german_vat(alice, billable):
    billable(alice, terminals=5, country="AT")

    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    assert (invoice.vat_cents, invoice.reverse_charge, invoice.tax_note) == (1891, False, "")


def test_the_same_month_billed_again_returns_the_first_invoice(alice, billable):
    billable(alice)
    first = invoice_create_for_month(merchant=alice, month=MAY)

    again = invoice_create_for_month(merchant=alice, month=D(2026, 5, 17))

    assert again.pk == first.pk
    assert Invoice.objects.count() == 1
    assert InvoiceNumberCounter.objects.get(year=_year()).last_sequence == 1


def test_billing_run_twice_gives_one_invoice_per_merchant_numbered_1_to_n(alice, bob, charlie, billable):
    for merchant in (alice, bob, charlie):
        billable(merchant)

    first = billing_run(month=MAY)
    second = billing_run(month=MAY)

    assert [i.pk for i in second] == [i.pk for i in first]
    assert sorted(Invoice.objects.values_list("merchant__schema_name", flat=True)) == ["alice", "bob", "charlie"]
    year = _year()
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2, 3]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        f"{year}-000001", f"{year}-000002", f"{year}-000003"]


def test_billing_run_skips_a_merchant_without_company_profile_and_bills_the_others(alice, bob, billable):
    billable(alice)
    terminal_license_change(merchant=bob, count=3, effective_on=D(2026, 1, 1), actor=None)

    invoices = billing_run(month=MAY)

    assert [i.merchant for i in invoices] == [alice]
    assert not Invoice.objects.filter(merchant=bob).exists()
    with pytest.raises(CompanyProfileMissing):
        invoice_create_for_month(merchant=bob, month=MAY)


def test_a_rolled_back_invoice_gives_its_number_back(alice, bob, billable):
    billable(alice)
    billable(bob)

    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_create_for_month(merchant=alice, month=MAY)
        raise RuntimeError("the transaction that numbered alice's invoice fails")
    invoice = invoice_create_for_month(merchant=bob, month=MAY)

    assert invoice.sequence == 1
    assert not Invoice.objects.filter(merchant=alice).exists()


def test_the_database_refuses_a_second_invoice_for_a_merchant_and_month(alice, billable):
    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)
    fields = {f.name: getattr(invoice, f.name) for f in Invoice._meta.concrete_fields
              if f.name not in ("id", "number", "sequence")}

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(**fields, number="copy", sequence=999)


def test_the_database_refuses_gross_other_than_net_plus_vat(alice, billable):
    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(gross_cents=invoice.gross_cents + 1)


def test_a_cancellation_takes_the_next_number_and_negates_the_invoice(alice, bob, billable):
    billable(alice, terminals=5)
    billable(bob)
    invoice = sent(invoice_create_for_month(merchant=alice, month=MAY))
    invoice_create_for_month(merchant=bob, month=MAY)

    note = invoice_cancel(invoice=invoice, reason="Terminals were never used", actor=None)

    year = _year()
    assert (note.kind, note.cancels, note.number, note.sequence) == (
        "cancellation", invoice, f"{year}-000003", 3)
    assert (note.net_cents, note.vat_cents, note.gross_cents) == (-9950, -1891, -11841)
    assert [(line.quantity, line.unit_price_cents, line.amount_cents) for line in note.lines.all()] == [
        (5, -1990, -9950)]
    assert (note.period, note.reason, note.status) == (MAY, "Terminals were never used", "draft")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.net_cents, invoice.gross_cents) == ("cancelled", 9950, 11841)
    assert invoice.lines.get().amount_cents == 9950


def test_a_cancelled_month_is_invoiced_again_with_the_next_number(alice, billable):
    billable(alice, terminals=5)
    invoice = sent(invoice_create_for_month(merchant=alice, month=MAY))
    cancellation = invoice_cancel(invoice=invoice, reason="Wrong terminal count", actor=None)
    terminal_license_change(merchant=alice, count=3, effective_on=MAY, actor=None, reason="corrected")

    again = invoice_create_for_month(merchant=alice, month=MAY)
    once_more = invoice_create_for_month(merchant=alice, month=MAY)
    [run] = billing_run(month=MAY)

    year = _year()
    assert [invoice.number, cancellation.number, again.number] == [
        f"{year}-000001", f"{year}-000002", f"{year}-000003"]
    assert once_more == again == run  # invoiced again once, not once per call
    assert (again.kind, again.period, again.status, again.net_cents) == ("invoice", MAY, "draft", 3 * 1990)
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"
    assert Invoice.objects.filter(merchant=alice, period=MAY, kind="invoice").count() == 2
    assert InvoiceNumberCounter.objects.get(year=year).last_sequence == 3


def test_a_month_with_an_invoice_in_force_gets_no_second_one_from_the_database_either(alice, billable):
    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    with pytest.raises(IntegrityError, match="invoice_once_per_merchant_and_month"), transaction.atomic():
        Invoice.objects.create(
            merchant=alice, kind="invoice", number="2099-000001", year=2099, sequence=1, period=MAY,
            issued_on=invoice.issued_on, net_cents=1, vat_rate_percent=0, vat_cents=0, gross_cents=1)

    assert Invoice.objects.filter(merchant=alice, period=MAY).count() == 1


def test_an_invoice_cancelled_twice_is_refused_and_no_second_cancellation_is_made(alice, billable):
    billable(alice)
    invoice = sent(invoice_create_for_month(merchant=alice, month=MAY))
    invoice_cancel(invoice=invoice, reason="wrong count", actor=None)

    with pytest.raises(InvoiceNotCancellable):
        invoice_cancel(invoice=invoice, reason="again", actor=None)

    assert Invoice.objects.filter(kind="cancellation").count() == 1
    assert InvoiceNumberCounter.objects.get(year=_year()).last_sequence == 2


def test_a_cancellation_cannot_be_cancelled(alice, billable):
    billable(alice)
    note = invoice_cancel(invoice=sent(invoice_create_for_month(merchant=alice, month=MAY)), reason="x",
                          actor=None)

    with pytest.raises(InvoiceNotCancellable):
        invoice_cancel(invoice=note, reason="y", actor=None)

    assert Invoice.objects.count() == 2


def test_an_invoice_still_being_sent_cannot_be_cancelled_yet(alice, billable):
    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    with pytest.raises(InvoiceNotCancellable):
        invoice_cancel(invoice=invoice, reason="wrong count", actor=None)

    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
    assert not Invoice.objects.filter(kind="cancellation").exists()
    assert InvoiceNumberCounter.objects.get(year=_year()).last_sequence == 1


def test_a_cancellation_without_a_reason_is_refused(alice, billable):
    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    with pytest.raises(CancellationReasonRequired):
        invoice_cancel(invoice=invoice, reason="  ", actor=None)

    invoice.refresh_from_db()
    assert invoice.status == "draft"
    assert not Invoice.objects.filter(kind="cancellation").exists()
    assert InvoiceLine.objects.count() == 1


def test_a_new_invoice_queues_its_delivery_when_the_transaction_commits(
        alice, billable, django_capture_on_commit_callbacks, monkeypatch):
    from billing import tasks

    queued = []
    monkeypatch.setattr(tasks.invoice_deliver, "delay", queued.append)
    billable(alice)

    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_create_for_month(merchant=alice, month=MAY)
        assert queued == []  # not before the invoice is committed
    with django_capture_on_commit_callbacks(execute=True):
        invoice_create_for_month(merchant=alice, month=MAY)

    assert queued == [invoice.pk]

