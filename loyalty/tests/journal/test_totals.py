"""The journal's totals for a filter: the number of bookings, the purchase amounts and, per
program, what was credited and debited, equal to the same sums asked of PostgreSQL directly, and to
what the generated bookings add up to; counted by the database, not row by row."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Booking
from loyalty.selectors import journal_totals
from loyalty.services.bookings import booking_earn
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def _filters(ledger, owner_user) -> dict[str, dict]:
    return {
        "nothing": {},
        "purchases": {"kind": "earn"},
        "reversals": {"kind": "reversal"},
        "points program": {"program": ledger.points},
        "prepaid program": {"program": ledger.prepaid},
        "the till": {"terminal": ledger.till},
        "the owner": {"staff": owner_user},
        "one card": {"card_number": ledger.cards[0].number},
        "today": {"date_from": timezone.localdate(), "date_to": timezone.localdate()},
        "until yesterday": {"date_to": YESTERDAY},
        "one card's purchases at the till": {"card_number": ledger.cards[1].number, "kind": "earn",
                                             "terminal": ledger.till},
    }


def _sql_totals(filters: dict) -> tuple:
    """The same sums, written in SQL by hand."""
    conditions, params = ["TRUE"], []
    columns = {"kind": "b.kind = %s", "program": "b.program_id = %s", "terminal": "b.terminal_id = %s",
               "staff": "b.staff_user_id = %s", "card_number": "c.number = %s",
               "date_from": "(b.created_at AT TIME ZONE 'Europe/Berlin')::date >= %s",
               "date_to": "(b.created_at AT TIME ZONE 'Europe/Berlin')::date <= %s"}
    for name, value in filters.items():
        conditions.append(columns[name])
        params.append(getattr(value, "pk", value))
    where = " AND ".join(conditions)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT count(*),
                   coalesce(sum(b.purchase_amount_cents) FILTER (WHERE b.kind <> 'return' AND NOT EXISTS (
                       SELECT 1 FROM loyalty_booking r WHERE r.reverses_id = b.id)), 0),
                   coalesce(sum(b.purchase_amount_cents) FILTER (WHERE b.kind = 'return'), 0)
            FROM loyalty_booking b JOIN loyalty_card c ON c.id = b.card_id WHERE {where}""", params)
        bookings = cursor.fetchone()
        cursor.execute(f"""
            SELECT a.program_id,
                   coalesce(sum(e.amount - e.claim_change) FILTER (WHERE e.amount - e.claim_change > 0), 0),
                   coalesce(sum(e.amount - e.claim_change) FILTER (WHERE e.amount - e.claim_change < 0), 0)
            FROM loyalty_ledgerentry e JOIN loyalty_account a ON a.id = e.account_id
            JOIN loyalty_booking b ON b.id = e.booking_id JOIN loyalty_card c ON c.id = b.card_id
            WHERE {where} GROUP BY a.program_id ORDER BY a.program_id""", params)
        return bookings, cursor.fetchall()


def test_the_totals_equal_the_same_sums_asked_of_postgresql(alice, ledger):
    with schema_context("alice"):
        owner_user = User.objects.get(email=owner_email("alice"))
        checked = 0
        for name, filters in _filters(ledger, owner_user).items():
            totals = journal_totals(**filters)
            (count, purchases, returns), per_program = _sql_totals(filters)

            assert (totals.bookings, totals.purchases_cents, totals.returns_cents) == (count, purchases, returns), name
            assert [(total.program.pk, total.credited, total.debited) for total in totals.programs] == [
                tuple(row) for row in per_program], name
            checked += count > 0
    assert checked >= 9  # all but the empty filters found bookings


def test_the_totals_are_what_the_generated_bookings_add_up_to(alice, ledger):
    with schema_context("alice"):
        everything = journal_totals()
        purchases = journal_totals(kind="earn")
        reversals = journal_totals(kind="reversal")
        prepaid = journal_totals(program=ledger.prepaid)
        nothing = journal_totals(date_to=YESTERDAY)
        returned_sale_points = ledger.returned[0].entries.get().amount

    kept = [cents for sale, cents in ledger.earns if sale.pk not in ledger.reversed_earns]
    points = {program.program.pk: program for program in purchases.programs}
    assert purchases.bookings == 30 and reversals.bookings == 6
    # Purchases count unless reversed; a payment with prepaid money is a purchase too.
    assert purchases.purchases_cents == sum(kept)
    assert everything.purchases_cents == sum(kept) + 1_234
    assert everything.returns_cents == ledger.returned[1]
    assert points[ledger.points.pk].credited == sum(cents // 100 for _sale, cents in ledger.earns)
    assert points[ledger.points.pk].debited == 0
    assert [(total.program, total.credited, total.debited) for total in prepaid.programs] == [
        (ledger.prepaid, 5_000, -1_234)]
    by_program = {total.program.pk: (total.credited, total.debited) for total in everything.programs}
    assert by_program[ledger.stamps.pk] == (3, 0)
    assert by_program[ledger.voucher.pk] == (2_500, -1_000)
    reversed_points = sum(cents // 100 for sale, cents in ledger.earns if sale.pk in ledger.reversed_earns)
    returned_points = (returned_sale_points * ledger.returned[1]) // ledger.earns[0][1]
    assert by_program[ledger.points.pk] == (points[ledger.points.pk].credited,
                                             -reversed_points - returned_points - 5)
    assert (nothing.bookings, nothing.purchases_cents, nothing.programs) == (0, 0, [])


def test_the_totals_take_the_same_queries_for_ten_or_a_hundred_bookings(alice, ledger):
    def queries() -> int:
        with schema_context("alice"), CaptureQueriesContext(connection) as captured:
            journal_totals(program=ledger.points)
        return len(captured)

    few = queries()
    with schema_context("alice"):
        for index in range(70):
            booking_earn(card_number=ledger.cards[0].number, program=ledger.points, purchase_amount_cents=100,
                         idempotency_key=f"more-{index}", actor=Actor(label="system:test"))

    assert queries() == few <= 4


def test_the_page_shows_the_totals_of_its_filter(alice, ledger, owner_client):
    page = owner_client.get(f"/manage/journal/?program={ledger.prepaid.pk}").content.decode()
    everything = owner_client.get("/manage/journal/").content.decode()

    assert "Totals of this filter" in page
    totals = page.split('class="card journal-totals"')[1].split("</section>")[0]
    assert "<dd>2</dd>" in totals  # the top-up and the payment
    assert "12.34 €" in totals  # the payment is a purchase
    assert "Guthaben" in totals and "+50.00 €" in totals and "−12.34 €" in totals
    assert "Bonuspunkte" not in totals
    assert "Totals of all bookings" in everything and "Kaffeekarte" in everything and "+3 stamps" in everything


def test_a_day_is_the_merchants_day_not_utcs(alice, owner_client):
    """Half past midnight in Berlin on 2 March is still 1 March in UTC: it is the 2nd's booking."""
    with schema_context("alice"):
        sale = booking_earn(card_number=CardFactory().number, program=ProgramFactory(kind="points"),
                            purchase_amount_cents=1_000, idempotency_key="midnight", actor=Actor(label="system:test"))
        with connection.cursor() as cursor:  # bookings are append-only: the trigger waits a statement
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE loyalty_booking DISABLE TRIGGER loyalty_booking_append_only")
            Booking.objects.filter(pk=sale.pk).update(
                created_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC))
            cursor.execute("ALTER TABLE loyalty_booking ENABLE TRIGGER loyalty_booking_append_only")
        on_the_second = journal_totals(date_from=datetime.date(2026, 3, 2), date_to=datetime.date(2026, 3, 2))
        on_the_first = journal_totals(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 1))

    assert (on_the_second.bookings, on_the_first.bookings) == (1, 0)
    html = owner_client.get("/manage/journal/?date_from=2026-03-02&date_to=2026-03-02").content.decode()
    assert f'id="booking-{sale.pk}"' in html
