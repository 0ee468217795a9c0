"""Billing's test fixtures: merchants with a company and terminals, PDFs in a temporary folder."""
import datetime

import pytest

from hq.models import CompanyProfile
from hq.services import terminal_license_change

D = datetime.date
MAY = D(2026, 5, 1)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def billable():
    """`billable(merchant, terminals=2, country="DE", vat_id="")`: the merchant gets a company
    profile and, from January 2026, that many licensed terminals."""

    def make(merchant, terminals: int = 2, country: str = "DE", vat_id: str = "", **company):
        CompanyProfile.objects.create(
            merchant=merchant, country=country, vat_id=vat_id,
            legal_name=company.pop("legal_name", f"{merchant.schema_name.title()} GmbH"),
            street="Hauptstraße 1", postcode="20095", city="Hamburg",
            billing_email=f"billing@{merchant.schema_name}.example", **company,
        )
        terminal_license_change(merchant=merchant, count=terminals, effective_on=D(2026, 1, 15), actor=None)
        return merchant

    return make


@pytest.fixture
def open_invoice(billable, mailoutbox):
    """`open_invoice(merchant, method="card", payment_method_id="pm_card_visa")`: May's invoice,
    sent (so open), for a merchant that pays by that method (none when payment_method_id="")."""
    from billing.services import (
        billing_account_payment_method_set,
        invoice_create_for_month,
        invoice_send,
    )

    def make(merchant, method: str = "card", payment_method_id: str = "pm_card_visa", terminals: int = 5):
        billable(merchant, terminals=terminals)
        billing_account_payment_method_set(merchant=merchant, payment_method_type=method,
                                           payment_method_id=payment_method_id, actor=None)
        invoice = invoice_create_for_month(merchant=merchant, month=MAY)
        invoice_send(invoice=invoice)
        invoice.refresh_from_db()
        return invoice

    return make


@pytest.fixture
def deliver_webhook(operator_client):
    """`deliver_webhook(payload, signature=None)`: POST it to the apex host's webhook like Stripe;
    signed with the fake Stripe's secret unless a signature is given."""
    from tests.support.fake_stripe import webhook_signature

    def deliver(payload: bytes, signature: str | None = None, client=None):
        headers = {"HTTP_STRIPE_SIGNATURE": signature if signature is not None else webhook_signature(payload)}
        return (client or operator_client).post("/billing/stripe/webhook/", payload,
                                                content_type="application/json", **headers)

    return deliver


def sent(invoice):
    """The invoice after its delivery: PDF rendered, e-mailed, open."""
    from billing.services import invoice_send

    invoice_send(invoice=invoice)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def eager_tasks():
    """Tasks queued by the code under test run at once in the test's thread (and transaction),
    instead of waiting in Redis for a worker this test does not start."""
    from config.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield app
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before
