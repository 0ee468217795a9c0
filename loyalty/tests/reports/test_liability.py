"""The outstanding balances on a day: replayed from the ledger up to the end of that day in the
merchant's time zone, so equal to each account's balance as it was then, and unchanged by what is
booked later; vouchers split by their VAT kind; points apart from money; the page in German and
English; cashiers refused; each merchant sees its own."""
import datetime

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.models import Account, AuditLog, LedgerEntry
from loyalty.selectors_reports import liability_on
from loyalty.services.bookings import booking_top_up, booking_voucher_redeem
from loyalty.tests.manage.conftest import signed_in
from loyalty.tests.reports.conftest import BERLIN, SYSTEM, YEAR_END
from loyalty.tests.staff.conftest import sign_in
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def _as_it_was(day: datetime.date) -> dict[int, tuple[int, int]]:
    """Per program: the sum of each account's balance after its last entry up to the end of the
    day, and the accounts with a balance then: the balances as they were."""
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=BERLIN)
    last = (LedgerEntry.objects.filter(account=OuterRef("pk"), created_at__lt=end)
            .order_by("-created_at", "-pk").values("balance_after")[:1])
    found: dict[int, tuple[int, int]] = {}
    for program_id, balance in Account.objects.annotate(then=Subquery(last)).values_list("program_id", "then"):
        total, cards = found.get(program_id, (0, 0))
        found[program_id] = (total + (balance or 0), cards + bool(balance))
    return found


def _figures(liability) -> dict[int, tuple[int, int]]:
    return {line.program.pk: (line.balance, line.cards) for line in [*liability.money, *liability.points]}


def test_the_liability_on_a_past_day_equals_the_balances_replayed_to_that_day(books):
    with schema_context("alice"):
        for day in (datetime.date(2025, 12, 9), datetime.date(2025, 12, 10), datetime.date(2025, 12, 20),
                    datetime.date(2025, 12, 27), datetime.date(2025, 12, 28), YEAR_END, datetime.date(2026, 1, 1)):
            figures = _figures(liability_on(day=day))
            as_it_was = _as_it_was(day)
            assert figures == {pk: as_it_was.get(pk, (0, 0)) for pk in figures}, day

        year_end = liability_on(day=YEAR_END)
        assert [(line.program.name, line.balance, line.cards) for line in year_end.prepaid] == [("Guthaben", 3_866, 1)]
        assert [(line.balance, line.cards) for line in year_end.single_purpose] == [(2_000, 1)]
        assert [(line.balance, line.cards) for line in year_end.multi_purpose] == [(0, 0)]
        assert year_end.money_total == 5_866 and year_end.money_cards == 2
        before_expiry = liability_on(day=datetime.date(2025, 12, 27))
        assert [line.balance for line in before_expiry.multi_purpose] == [2_000]
        assert before_expiry.money_total == 3_766 + 2_000 + 2_000
        # The payment at 00:30 on 1 January belongs to the new year.
        assert liability_on(day=datetime.date(2026, 1, 1)).prepaid[0].balance == 3_816


def test_a_booking_after_the_day_does_not_change_it(books):
    with schema_context("alice"):
        before = _figures(liability_on(day=YEAR_END))
        today_before = _figures(liability_on(day=timezone.localdate()))
        booking_top_up(card_number=books.second.number, program=books.prepaid, amount_cents=777,
                       idempotency_key="later", actor=SYSTEM)
        booking_voucher_redeem(card_number=books.second.number, program=books.single, amount_cents=500,
                               idempotency_key="later-redeem", actor=SYSTEM)

        assert _figures(liability_on(day=YEAR_END)) == before
        today = _figures(liability_on(day=timezone.localdate()))
        assert today[books.prepaid.pk] == (today_before[books.prepaid.pk][0] + 777, 2)
        assert today[books.single.pk] == (today_before[books.single.pk][0] - 500, 1)
        # Today's report is the cached balances of today.
        for program in (books.prepaid, books.single, books.multi):
            assert today[program.pk][0] == sum(Account.objects.filter(program=program).values_list("balance", flat=True))


def test_the_report_is_one_statement(books, django_assert_max_num_queries):
    with schema_context("alice"), django_assert_max_num_queries(2):  # the catalog may be read once
        liability_on(day=YEAR_END)


def test_the_plan_reads_the_entries_once_without_a_nested_loop(books):
    """At a million entries the sum is one pass over the entries up to the day (hash aggregate);
    the day's bound is a range on created_at."""
    from loyalty.selectors_reports import _replayed_balances

    with schema_context("alice"), connection.cursor() as cursor:
        captured = []
        with connection.execute_wrapper(lambda execute, sql, params, many, context: captured.append((sql, params))
                                        or execute(sql, params, many, context)):
            _replayed_balances(YEAR_END, ("prepaid", "voucher"))
        sql, params = captured[0]
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "created_at" in plan and "SubPlan" not in plan, plan


def test_the_page_in_english_and_german_with_german_formats(books, owner_client):
    english = owner_client.get("/manage/reports/liability/?day=2025-12-31").content.decode()
    assert "Outstanding balances" in english and "31/12/2025" in english
    assert "38.66 €" in english and "20.00 €" in english and "58.66 €" in english
    assert "Single-purpose vouchers" in english and "Points outstanding (not money)" in english

    german = owner_client.get("/manage/reports/liability/?day=2025-12-31", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Offene Guthaben" in german and "31.12.2025" in german
    assert "38,66 €" in german and "20,00 €" in german and "58,66 €" in german
    assert "Einzweckgutscheine" in german and "Mehrzweckgutscheine" in german


def test_without_a_day_it_shows_today_and_a_day_to_come_is_refused(books, owner_client):
    with schema_context("alice"):
        today = liability_on(day=timezone.localdate())
    page = owner_client.get("/manage/reports/liability/")
    assert page.status_code == 200 and f"{today.money_total / 100:,.2f} €" in page.content.decode()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    refused = owner_client.get(f"/manage/reports/liability/?day={tomorrow.isoformat()}")
    assert refused.status_code == 400 and "still to come" in refused.content.decode()


def test_a_manager_may_and_a_cashier_may_not(books, alice, manager, cashier):
    assert sign_in(alice, manager.email).get("/manage/reports/liability/").status_code == 200
    client = sign_in(alice, cashier.email)
    for url in ("/manage/reports/liability/", "/manage/reports/liability/download.csv",
                "/manage/reports/liability/download.pdf"):
        assert client.get(url).status_code == 403, url
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="report.liability_download").exists()


def test_each_merchant_sees_its_own(books, alice, bob, charlie, host_client):
    with schema_context("bob"):
        program = ProgramFactory(kind="prepaid", name="Bobs Guthaben")
        booking_top_up(card_number=CardFactory().number, program=program, amount_cents=9_999,
                       idempotency_key="bob", actor=SYSTEM)
    pages = {}
    for merchant in (alice, bob, charlie):
        client = host_client(merchant)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        pages[merchant.schema_name] = signed_in(client, merchant).get("/manage/reports/liability/").content.decode()
    assert "Guthaben" in pages["alice"] and "Bobs Guthaben" not in pages["alice"]
    assert "99.99 €" in pages["bob"] and "Brotgutschein" not in pages["bob"]
    assert "Guthaben" not in pages["charlie"] and "There is no prepaid or voucher program." in pages["charlie"]
