"""Every operator write leaves one row in the operator's audit log: who (a member of staff, or the
system's job), what, which merchant, and the state before and after. The log is append-only."""
import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from billing import tasks
from billing.services import (
    billing_account_payment_method_set,
    invoice_cancel,
    invoice_create_for_month,
    invoice_send,
    payment_method_checkout_start,
    stripe_event_receive,
)
from hq.models import CompanyProfile, Contract, OperatorAuditLog
from hq.printing.services import print_order_advance, print_order_create, print_order_submit
from hq.services import (
    contract_create,
    contract_notice_give,
    contract_reminders_send,
    terminal_license_change,
)
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db
D = datetime.date


def _new_rows(since: int) -> list[tuple[str, object]]:
    return [(row.action, row.actor_id or row.actor_label)
            for row in OperatorAuditLog.objects.filter(pk__gt=since).order_by("pk")]


def _webhook(payload: bytes) -> None:
    from tests.support.fake_stripe import webhook_signature

    stripe_event_receive(payload=payload, signature=webhook_signature(payload))


def _last_id() -> int:
    return OperatorAuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_each_operator_write_leaves_its_row(alice, mailoutbox, fake_stripe, settings):
    operator = User.objects.get(email=OPERATOR_EMAIL)
    CompanyProfile.objects.create(merchant=alice, legal_name="Alice GmbH", street="Weg 1", postcode="20095",
                                  city="Hamburg", country="DE", billing_email="billing@alice.example")
    today = timezone.localdate()
    steps = [
        (lambda: contract_create(merchant=alice, starts_on=D(2025, 1, 1), actor=operator),
         [("contract.create", operator.pk), ("merchant.status", operator.pk)]),
        (lambda: terminal_license_change(merchant=alice, count=4, effective_on=D(2026, 1, 1), actor=operator),
         [("license.change", operator.pk), ("merchant.status", operator.pk)]),
        (lambda: terminal_license_change(merchant=alice, count=4, effective_on=D(2026, 2, 1), actor=operator),
         [("license.change", operator.pk)]),  # the tenant row stays as it was: no second row
        (lambda: print_order_create(merchant=alice, quantity=10, layout="standard", actor=operator),
         [("print_order.create", operator.pk)]),
        (lambda: print_order_submit(order=alice.print_orders.get(), actor=operator),
         [("print_order.submit", operator.pk)]),
        (lambda: print_order_advance(order=alice.print_orders.get(), to_status="in_production", actor=operator),
         [("print_order.advance", operator.pk)]),
        (lambda: billing_account_payment_method_set(merchant=alice, payment_method_type="card",
                                                    payment_method_id="pm_card_visa", actor=operator),
         [("billing.payment_method", operator.pk)]),
        (lambda: invoice_create_for_month(merchant=alice, month=D(2026, 5, 1)),
         [("invoice.create", "system:billing")]),
        (lambda: invoice_send(invoice=alice.invoices.get()),
         [("invoice.send", "system:invoice-delivery")]),
        (lambda: tasks.invoice_payment_collect(alice.invoices.get().pk),
         [("billing.customer", "system:payments"), ("invoice.payment_attempt", "system:payments"),
          ("invoice.paid", "system:payments")]),
        (lambda: invoice_cancel(invoice=alice.invoices.get(kind="invoice"), reason="Fehler", actor=operator),
         [("invoice.cancel", operator.pk)]),
        (lambda: contract_notice_give(contract=Contract.objects.get(merchant=alice), given_on=today,
                                      actor=operator),
         [("contract.notice", operator.pk), ("merchant.status", operator.pk)]),
        (lambda: payment_method_checkout_start(merchant=alice, payment_method_type="sepa_debit",
                                               success_url="http://x/", cancel_url="http://x/", locale="de",
                                               actor=operator),
         [("billing.checkout_start", operator.pk)]),
        (lambda: _webhook(fake_stripe.complete_checkout(next(iter(fake_stripe.sessions)))),
         [("billing.payment_method", "system:stripe-checkout")]),
    ]

    for write, expected in steps:
        since = _last_id()
        write()
        assert _new_rows(since) == expected, write

    licence = OperatorAuditLog.objects.filter(action="license.change").first()
    assert (licence.merchant, licence.before, licence.after) == (
        alice, {"count": 4, "month": "2026-02-01"}, {"count": 4, "month": "2026-02-01", "reason": ""})
    notice = OperatorAuditLog.objects.get(action="contract.notice")
    assert notice.before == {"notice_given_on": None} and notice.after == {"notice_given_on": today.isoformat()}


def test_a_notice_reminder_is_written_down_once(alice, mailoutbox):
    CompanyProfile.objects.create(merchant=alice, legal_name="Alice GmbH", street="Weg 1", postcode="20095",
                                  city="Hamburg", country="DE", billing_email="billing@alice.example")
    contract = contract_create(merchant=alice, starts_on=D(2025, 1, 1), actor=None)
    deadline = contract.notice_deadline(timezone.localdate())
    reminder_day = deadline - datetime.timedelta(days=30)

    contract_reminders_send(today=reminder_day)
    contract_reminders_send(today=reminder_day)

    assert OperatorAuditLog.objects.filter(action="contract.reminder", merchant=alice).count() == 1


def test_the_console_shows_a_merchants_audit_log(alice, operator_client):
    operator_sign_in(operator_client)
    contract_create(merchant=alice, starts_on=D(2025, 1, 1), actor=User.objects.get(email=OPERATOR_EMAIL))

    page = operator_client.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "contract.create" in page and OPERATOR_EMAIL in page


def test_the_operator_audit_log_cannot_be_changed_deleted_or_truncated(alice):
    contract_create(merchant=alice, starts_on=D(2025, 1, 1), actor=None)

    for statement in ("UPDATE hq_operatorauditlog SET action = 'x'", "DELETE FROM hq_operatorauditlog",
                      "TRUNCATE hq_operatorauditlog"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement)

    assert OperatorAuditLog.objects.filter(action="contract.create").count() == 1
