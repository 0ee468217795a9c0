"""The monthly statistics report: owners and managers ask for it (or stop it) on its page; on the
1st a task sends each of them the month before as a PDF, once, however often it runs; any past
month's PDF can be downloaded. The PDF's figures are the rollups' (pdftotext reads them)."""
import datetime
import subprocess
import tempfile

import pytest
from django.core import mail
from django_tenants.utils import schema_context, tenant_context

from loyalty.actors import Actor
from loyalty.errors import NotPermitted
from loyalty.models import AuditLog, StatisticsReportSubscription
from loyalty.services import bookings as book
from loyalty.statistics.monthly_report import monthly_report_subscription_set
from loyalty.statistics.rollups import statistics_refresh
from loyalty.tasks import monthly_reports_send_task
from loyalty.tests.cardholders.conftest import signed_in, staff_with
from loyalty.tests.statistics.conftest import backdate, moment
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.concurrency import wait_until
from tests.support.factories import CardFactory, ProgramFactory

MARCH = datetime.date(2026, 3, 1)


def _shop(schema: str, purchases_cents: list[int]) -> None:
    """Purchases on a points program in March 2026, rolled up."""
    with schema_context(schema):
        points, card = ProgramFactory(kind="points", name="Bonuspunkte"), CardFactory()
        ids = [book.booking_earn(card_number=card.number, program=points, purchase_amount_cents=cents,
                                 idempotency_key=f"march-{index}", actor=Actor(label="system:test")).pk
               for index, cents in enumerate(purchases_cents)]
        backdate(ids, moment(datetime.date(2026, 3, 10)))
        statistics_refresh(today=datetime.date(2026, 4, 1))


def pdf_text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return subprocess.run(["pdftotext", "-layout", file.name, "-"], capture_output=True, text=True,
                              check=True).stdout


def _reports_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def test_on_the_first_each_subscriber_gets_the_month_before_once_and_only_their_merchants_figures(
        committed, celery_worker, alice, bob, mailoutbox):
    _shop("alice", [1_250, 3_000])
    _shop("bob", [9_990])
    for merchant, language in ((alice, "de"), (bob, "en")):
        client = signed_in(merchant, owner_email(merchant.schema_name), language)
        assert client.post("/manage/statistics/report/", {"subscribed": "1"}).status_code == 302

    sent = []
    for merchant in (alice, bob, alice):  # alice's task delivered twice
        with tenant_context(merchant):
            sent.append(monthly_reports_send_task.delay(MARCH.isoformat()))
    assert [result.get(timeout=60) for result in sent] == [1, 1, 0]
    assert wait_until(lambda: len(mail.outbox) >= 2, timeout=60)
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="statistics.report_sent").count() == 1

    [alices] = _reports_to(owner_email("alice"))
    [bobs] = _reports_to(owner_email("bob"))
    assert alices.subject == "Statistik für März 2026 – Alice’s Bakery"
    [(name, pdf, kind)] = alices.attachments
    assert (name, kind) == ("statistik-2026-03.pdf", "application/pdf")
    text = pdf_text(pdf)
    assert "März 2026" in text and "42,50 €" in text and "99,90" not in text
    bob_text = pdf_text(bobs.attachments[0][1])
    assert "March 2026" in bob_text and "99.90 €" in bob_text and "42.50" not in bob_text
    with schema_context("alice"):
        assert StatisticsReportSubscription.objects.get().last_sent_month == MARCH


@pytest.mark.django_db
def test_asking_twice_is_one_subscription_and_stopping_ends_it(alice):
    client = signed_in(alice, owner_email("alice"), "de")

    for _ in range(2):
        assert client.post("/manage/statistics/report/", {"subscribed": "1"}).status_code == 302
    page = client.get("/manage/statistics/report/").content.decode()
    assert "Bericht per E-Mail beenden" in page
    with schema_context("alice"):
        assert StatisticsReportSubscription.objects.get().language == "de"
        assert AuditLog.objects.filter(action="statistics.report_subscription").count() == 1

    assert client.post("/manage/statistics/report/", {"subscribed": "0"}).status_code == 302
    with schema_context("alice"):
        assert not StatisticsReportSubscription.objects.exists()
        assert AuditLog.objects.filter(action="statistics.report_subscription").count() == 2


@pytest.mark.django_db
def test_an_unclear_answer_is_refused_and_changes_nothing(alice):
    client = signed_in(alice, owner_email("alice"), "en")

    response = client.post("/manage/statistics/report/", {"subscribed": "maybe"})

    assert response.status_code == 400 and b"Please choose" in response.content
    with schema_context("alice"):
        assert not StatisticsReportSubscription.objects.exists()
        assert not AuditLog.objects.filter(action="statistics.report_subscription").exists()


@pytest.mark.django_db
def test_only_who_may_see_the_statistics_can_ask_and_only_for_themself(alice):
    with schema_context("alice"):
        viewer = staff_with("viewer@alice.example", "loyalty.view_booking")
        owner = User.objects.get(email=owner_email("alice"))
        with pytest.raises(NotPermitted):
            monthly_report_subscription_set(user=viewer, subscribed=True, language="de", actor=Actor(user=viewer))
        with pytest.raises(NotPermitted):
            monthly_report_subscription_set(user=viewer, subscribed=True, language="de", actor=Actor(user=owner))
        assert not StatisticsReportSubscription.objects.exists()


@pytest.mark.django_db
def test_a_past_months_pdf_is_downloaded_in_the_readers_language_and_audited(alice):
    _shop("alice", [1_250, 3_000])
    client = signed_in(alice, owner_email("alice"), "en")

    response = client.get("/manage/statistics/report/2026-03.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="statistics-2026-03.pdf"'
    text = pdf_text(response.content)
    assert "Statistics of March 2026" in text and "42.50 €" in text
    # The chart of the revenue per day, March beside February, with its table.
    assert "Revenue per day" in text and "February 2026" in text
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="statistics.report_download").count() == 1
    assert client.get("/manage/statistics/report/2026-13.pdf").status_code == 404
    assert client.get("/manage/statistics/report/2999-01.pdf").status_code == 404
