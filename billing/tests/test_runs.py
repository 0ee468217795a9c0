"""The monthly run in the console: the coming invoices listed, a past month run by hand after a
confirmation (by a real worker), and every run's result on the page."""
import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from billing import tasks
from billing.errors import BillingError
from billing.models import BillingRun, Invoice
from billing.services import billing_run_queue
from hq.models import OperatorAuditLog
from hq.services import terminal_license_change
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL
from tests.support.clients import operator_sign_in
from tests.support.concurrency import wait_until


def _last_month():
    return timezone.localdate().replace(day=1) - relativedelta(months=1)


def _page(client, language="de") -> str:
    return " ".join(client.get("/billing/runs/", headers={"Accept-Language": language}).content.decode().split())


@pytest.mark.django_db
def test_the_coming_invoices_are_listed_as_the_run_will_make_them(operator_client, alice, bob, charlie, billable):
    billable(alice, terminals=2)
    terminal_license_change(merchant=bob, count=1, effective_on=_last_month(), actor=None)  # no company
    operator_sign_in(operator_client)

    page = _page(operator_client)

    assert "Kommende Rechnungen" in page
    assert "39,80 €" in page and "7,56 €" in page and "47,36 €" in page  # 2 × 19,90 € and 19 % VAT
    assert "Nicht abgerechnet: Für diesen Händler ist kein Firmenprofil hinterlegt." in page
    assert "Nichts abzurechnen" in page  # charlie: no terminal
    assert "Noch kein Lauf." in page
    assert "Monatslauf" in _page(operator_client) and "Monthly runs" in _page(operator_client, "en")


@pytest.mark.django_db
def test_a_run_asks_first_and_starts_nothing_until_confirmed(operator_client, alice, billable):
    billable(alice)
    operator_sign_in(operator_client)
    month = _last_month()

    asked = operator_client.post("/billing/runs/", {"month": month.isoformat()}, headers={"Accept-Language": "de"})

    assert asked.status_code == 200
    assert "jetzt abrechnen?" in asked.content.decode()
    assert not BillingRun.objects.exists() and not Invoice.objects.exists()
    assert not OperatorAuditLog.objects.filter(action="billing.run").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("months_back", [0, -1, 13])
def test_a_month_not_over_or_too_far_back_is_refused(operator_client, alice, billable, months_back):
    billable(alice)
    operator_sign_in(operator_client)
    month = timezone.localdate().replace(day=1) - relativedelta(months=months_back)

    response = operator_client.post("/billing/runs/", {"month": month.isoformat(), "confirmed": "1"},
                                    headers={"Accept-Language": "de"})

    assert response.status_code == 200
    assert "Wählen Sie einen der angebotenen Monate" in response.content.decode()
    assert not BillingRun.objects.exists() and not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_second_run_of_a_month_is_refused_while_one_is_under_way(alice, billable):
    billable(alice)
    operator = User.objects.get(email=OPERATOR_EMAIL)
    BillingRun.objects.create(month=_last_month(), status=BillingRun.Status.RUNNING)

    with pytest.raises(BillingError):
        billing_run_queue(month=_last_month(), actor=operator)

    assert BillingRun.objects.count() == 1
    assert not OperatorAuditLog.objects.filter(action="billing.run").exists()


def test_a_run_started_in_the_console_is_made_by_the_worker_and_its_result_shown(
        committed, celery_worker, operator_client, alice, bob, billable, mailoutbox):
    billable(alice, terminals=3)
    terminal_license_change(merchant=bob, count=1, effective_on=_last_month(), actor=None)  # no company
    operator_sign_in(operator_client)
    month = _last_month()

    response = operator_client.post("/billing/runs/", {"month": month.isoformat(), "confirmed": "1"})

    assert response.status_code == 302
    run = BillingRun.objects.get()
    assert run.started_by.email == OPERATOR_EMAIL
    assert wait_until(lambda: BillingRun.objects.get(pk=run.pk).status == "done", timeout=60)
    run.refresh_from_db()
    [invoice] = Invoice.objects.filter(merchant=alice, period=month)
    assert (run.invoices_created, run.invoices_existing, run.gross_cents) == (1, 0, invoice.gross_cents)
    assert run.skipped == [{"merchant_id": bob.pk, "merchant": bob.name, "reason": "company_missing"}]
    page = _page(operator_client)
    assert "1 Rechnung erstellt" in page and f"{bob.name}: nicht abgerechnet, kein Firmenprofil" in page
    assert OperatorAuditLog.objects.get(action="billing.run").after == {"month": month.isoformat()}

    # Again: nothing new, and the page says so.
    operator_client.post("/billing/runs/", {"month": month.isoformat(), "confirmed": "1"})
    assert wait_until(lambda: not BillingRun.objects.exclude(status="done").exists()
                      and BillingRun.objects.count() == 2, timeout=60)
    again = BillingRun.objects.latest("id")
    assert (again.invoices_created, again.invoices_existing) == (0, 1)
    assert Invoice.objects.filter(merchant=alice, period=month).count() == 1
    assert "1 bereits abgerechnet" in _page(operator_client)


@pytest.mark.django_db
def test_the_scheduled_run_is_recorded_too(alice, billable):
    billable(alice)

    result = tasks.billing_monthly()

    run = BillingRun.objects.get()
    assert (run.month, run.status, run.started_by, run.invoices_created) == (_last_month(), "done", None, 1)
    assert result == {"month": _last_month().isoformat(), "invoices": 1}
