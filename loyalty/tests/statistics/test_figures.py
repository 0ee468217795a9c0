"""Every figure of the statistics equals a direct SQL aggregation over the ledger for the same period
and filters (the oracle below reads loyalty_booking and loyalty_ledgerentry), and the selectors read
no ledger table."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty.models import Cardholder
from loyalty.statistics import selectors as stats
from loyalty.statistics.rollups import grouping_for
from loyalty.tests.statistics.conftest import FIRST_DAY

pytestmark = pytest.mark.django_db

TILL = ("earn", "redeem_reward", "top_up", "pay", "stamp", "redeem_stamps", "voucher_issue", "voucher_redeem",
        "return")


def oracle(sql: str, params: dict) -> list:
    """Rows of a query over the ledger. The queries below take the chosen bookings first (WITH …
    MATERIALIZED): with the optional filters the planner's estimates were poor enough to pick a
    nested loop over the entries that took minutes on a fresh database."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


BOOKINGS = """
    SELECT b.*, r.kind AS r_kind, r.purchase_amount_cents AS r_amount, COALESCE(b.program_id, r.program_id) AS prog
    FROM loyalty_booking b LEFT JOIN loyalty_booking r ON r.id = b.reverses_id
    WHERE (b.created_at AT TIME ZONE 'Europe/Berlin')::date BETWEEN %(start)s AND %(end)s
      AND (%(terminal)s::bigint IS NULL OR b.terminal_id = %(terminal)s)
      AND (%(staff)s::bigint IS NULL OR b.staff_user_id = %(staff)s)
      AND (%(program)s::bigint IS NULL OR COALESCE(b.program_id, r.program_id) = %(program)s)
      AND (%(cards)s::bigint[] IS NULL OR b.card_id = ANY(%(cards)s))
"""


def expected(filters, *, cards: list[int] | None = None) -> dict:
    """The figures of `filters` summed from the ledger; `cards`: only the bookings of these cards (a
    segment's people)."""
    params = {"start": filters.start, "end": filters.end, "terminal": filters.terminal_id,
              "staff": filters.staff_user_id, "program": filters.program_id, "cards": cards, "till": list(TILL)}
    (bookings, revenue), = oracle(f"""
        WITH b AS MATERIALIZED ({BOOKINGS})
        SELECT COALESCE(SUM(CASE WHEN kind = ANY(%(till)s) THEN 1 WHEN kind = 'reversal' AND r_kind = ANY(%(till)s)
                                 THEN -1 ELSE 0 END), 0),
               COALESCE(SUM(CASE kind WHEN 'earn' THEN purchase_amount_cents WHEN 'pay' THEN purchase_amount_cents
                                      WHEN 'return' THEN -purchase_amount_cents
                                      WHEN 'reversal' THEN CASE r_kind WHEN 'return' THEN r_amount
                                                                       WHEN 'earn' THEN -r_amount
                                                                       WHEN 'pay' THEN -r_amount ELSE 0 END
                                      ELSE 0 END), 0)
        FROM b""", params)
    families = dict(oracle(f"""
        WITH b AS MATERIALIZED ({BOOKINGS})
        SELECT p.kind || ':' || CASE
                 WHEN (CASE WHEN b.kind = 'reversal' THEN b.r_kind ELSE b.kind END) = 'adjustment' THEN 'in'
                 WHEN b.kind = 'return' OR (b.kind = 'reversal' AND b.r_kind <> 'return')
                      THEN CASE WHEN e.amount < 0 THEN 'in' ELSE 'out' END
                 ELSE CASE WHEN e.amount > 0 THEN 'in' ELSE 'out' END END,
               SUM(CASE WHEN (CASE WHEN b.kind = 'reversal' THEN b.r_kind ELSE b.kind END) = 'adjustment'
                        THEN e.amount
                        WHEN b.kind = 'return' OR (b.kind = 'reversal' AND b.r_kind <> 'return')
                        THEN CASE WHEN e.amount < 0 THEN e.amount ELSE -e.amount END
                        ELSE abs(e.amount) END)
        FROM b JOIN loyalty_ledgerentry e ON e.booking_id = b.id
        JOIN loyalty_account a ON a.id = e.account_id JOIN loyalty_program p ON p.id = a.program_id
        WHERE (CASE WHEN b.kind = 'reversal' THEN b.r_kind ELSE b.kind END)
              NOT IN ('expiry', 'card_replacement', 'opening_balance')
        GROUP BY 1""", params))
    (active,), = oracle(f"WITH b AS MATERIALIZED ({BOOKINGS}) SELECT COUNT(DISTINCT card_id) FROM b "
                        "WHERE kind = ANY(%(till)s)", params)
    (registered,), = oracle("SELECT COUNT(*) FROM loyalty_cardholder WHERE (created_at AT TIME ZONE 'Europe/Berlin')"
                            "::date BETWEEN %(start)s AND %(end)s", params)
    names = {"points": ("points_issued", "points_redeemed"), "prepaid": ("prepaid_topped_up_cents", "prepaid_spent_cents"),
             "stamps": ("stamps_given", "stamps_redeemed"), "voucher": ("vouchers_sold_cents", "vouchers_redeemed_cents")}
    result = {"bookings": bookings, "revenue_cents": revenue, "active_cards": active, "registrations": registered}
    for kind, (plus, minus) in names.items():
        result[plus] = families.get(f"{kind}:in", 0)
        result[minus] = families.get(f"{kind}:out", 0)
    return result


PERIODS = [(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=20)), (FIRST_DAY + datetime.timedelta(days=3),
                                                                 FIRST_DAY + datetime.timedelta(days=9))]
# Periods the card figures read as whole years, whole months and single days (calendar_blocks).
CALENDAR_PERIODS = [
    (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)),  # a month
    (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),  # a year
    (datetime.date(2025, 12, 20), datetime.date(2026, 3, 10)),  # days, January and February, days
    (datetime.date(2025, 1, 1), datetime.date(2026, 3, 31)),  # 2025, then January to March
    (datetime.date(2026, 1, 21), datetime.date(2026, 12, 31)),  # 2026 less 1 to 20 January (with a visit)
    (datetime.date(2025, 12, 30), datetime.date(2026, 12, 20)),  # a day of 2025, 2026 less its last days
]


def test_a_query_reads_the_smallest_grouping_with_its_keys():
    assert grouping_for([]) == grouping_for(["terminal_id", "staff_user_id"]) == "till"
    assert grouping_for(["program_id", "postcode_area"]) == "postcode_area"
    assert grouping_for(["terminal_id", "gender"]) == "all"


def test_a_period_is_cut_into_whole_years_whole_months_and_the_days_between():
    day = datetime.date
    assert stats.calendar_blocks(day(2025, 12, 20), day(2026, 3, 10)) == (
        [], [day(2026, 1, 1), day(2026, 2, 1)], [(day(2025, 12, 20), day(2025, 12, 31)), (day(2026, 3, 1), day(2026, 3, 10))],
        [])
    assert stats.calendar_blocks(day(2024, 11, 30), day(2026, 1, 31)) == (
        [day(2025, 1, 1)], [day(2024, 12, 1), day(2026, 1, 1)], [(day(2024, 11, 30), day(2024, 11, 30))], [])
    assert stats.calendar_blocks(day(2026, 3, 2), day(2026, 3, 2)) == ([], [], [(day(2026, 3, 2), day(2026, 3, 2))], [])
    # The last 365 days: the days of last year, and this year less the rest of it.
    assert stats.calendar_blocks(day(2025, 12, 2), day(2026, 12, 1)) == (
        [day(2026, 1, 1)], [], [(day(2025, 12, 2), day(2025, 12, 31))], [(day(2026, 12, 2), day(2026, 12, 31))])
    assert stats.calendar_blocks(day(2026, 1, 21), day(2026, 12, 30)) == (
        [day(2026, 1, 1)], [], [], [(day(2026, 1, 1), day(2026, 1, 20)), (day(2026, 12, 31), day(2026, 12, 31))])
    # More than a month of the year outside: its months and days instead.
    assert stats.calendar_blocks(day(2026, 2, 2), day(2026, 12, 31))[:2] == (
        [], [day(2026, month, 1) for month in range(3, 13)])


@pytest.mark.parametrize("period", PERIODS + CALENDAR_PERIODS)
def test_totals_equal_the_ledger(world, period):
    filters = stats.Filters(*period)
    assert stats.statistics_totals(filters=filters) == expected(filters)
    with_terminal = stats.Filters(*period, terminal_id=world.terminals[0].pk)
    got = stats.statistics_totals(filters=with_terminal)
    want = expected(with_terminal)
    got.pop("registrations"), want.pop("registrations")  # registrations have no terminal
    assert got == want


def test_series_per_day_add_up_to_each_days_totals(world):
    for row in stats.statistics_series(filters=stats.Filters(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=6))):
        day = expected(stats.Filters(row["period"], row["period"]))
        assert row["revenue_cents"] == day["revenue_cents"] and row["bookings"] == day["bookings"]


def test_a_refuser_counts_in_totals_not_in_segments(world):
    filters = stats.Filters(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=20))
    refuser_cards = [card.pk for card in world.people[4].cards.all()]
    (revenue,), = oracle("""SELECT COALESCE(SUM(purchase_amount_cents), 0) FROM loyalty_booking
                            WHERE card_id = ANY(%s) AND kind = 'earn'""", [refuser_cards])
    assert revenue > 0
    genders = {row["key"]: row for row in stats.statistics_split(filters=filters, by="gender")}
    # person 4 is a man who refused: the men's revenue is person 1's only
    (man,), = oracle("""SELECT COALESCE(SUM(CASE b.kind WHEN 'return' THEN -b.purchase_amount_cents
                            WHEN 'reversal' THEN -r.purchase_amount_cents ELSE b.purchase_amount_cents END), 0)
                        FROM loyalty_booking b LEFT JOIN loyalty_booking r ON r.id = b.reverses_id
                        WHERE b.card_id = %s AND COALESCE(b.purchase_amount_cents, r.purchase_amount_cents) > 0
                          AND (b.created_at AT TIME ZONE 'Europe/Berlin')::date BETWEEN %s AND %s""",
                     [world.cards[1].pk, filters.start, filters.end])
    assert genders["m"]["revenue_cents"] == man
    assert sum(row["revenue_cents"] for row in genders.values()) == expected(filters)["revenue_cents"]


@pytest.mark.parametrize("period", PERIODS[:1] + CALENDAR_PERIODS)
def test_top_customers_equal_the_ledger(world, period):
    filters = stats.Filters(*period)
    top = stats.statistics_top_customers(filters=filters, limit=3)
    rows = oracle("""SELECT b.card_id, SUM(CASE b.kind WHEN 'return' THEN -b.purchase_amount_cents
                            WHEN 'reversal' THEN CASE r.kind WHEN 'return' THEN r.purchase_amount_cents
                                                 ELSE -COALESCE(r.purchase_amount_cents, 0) END
                            ELSE COALESCE(b.purchase_amount_cents, 0) END) AS revenue
                     FROM loyalty_booking b LEFT JOIN loyalty_booking r ON r.id = b.reverses_id
                     WHERE (b.created_at AT TIME ZONE 'Europe/Berlin')::date BETWEEN %(start)s AND %(end)s
                     GROUP BY b.card_id ORDER BY revenue DESC, b.card_id LIMIT 3""",
                  {"start": filters.start, "end": filters.end})
    assert [(row["card_id"], row["revenue_cents"]) for row in top] == [tuple(row) for row in rows]
    holders = {card.pk: f"Vorname{index} Nachname{index}" for index, card in enumerate(world.cards[:-1])}
    assert [row["name"] for row in top] == [holders.get(row["card_id"], "") for row in top]


def test_the_selectors_read_no_ledger_table(world):
    filters = stats.Filters(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=20))
    with CaptureQueriesContext(connection) as queries:
        stats.statistics_totals_compared(filters=filters)
        stats.statistics_series(filters=filters, step="week")
        for by in stats.SPLITS:
            stats.statistics_split(filters=filters, by=by)
        stats.statistics_campaign(start=filters.start, end=filters.end)
    assert len(queries) <= 20
    assert not any("loyalty_booking" in query["sql"] or "loyalty_ledgerentry" in query["sql"] for query in queries)


_SPLIT_FIGURES = ("bookings", "revenue_cents")


def _in_range(filters, start, end):
    return stats.Filters(max(start, filters.start), min(end, filters.end), filters.program_id,
                         filters.terminal_id, filters.staff_user_id)


@pytest.mark.parametrize("step", ["week", "month"])
def test_series_per_week_and_month_equal_the_ledger_of_each_part(world, step):
    filters = stats.Filters(FIRST_DAY - datetime.timedelta(days=3), FIRST_DAY + datetime.timedelta(days=30))
    rows = stats.statistics_series(filters=filters, step=step)
    assert rows and sum(row["bookings"] for row in rows) == expected(filters)["bookings"]
    for row in rows:
        start = row["period"].date() if isinstance(row["period"], datetime.datetime) else row["period"]
        end = (start + datetime.timedelta(days=6) if step == "week"
               else (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1))
        want = expected(_in_range(filters, start, end))
        assert {key: row[key] for key in want if key in row} == {key: want[key] for key in want if key in row}


@pytest.mark.parametrize("by, key_of", [("terminal_id", "terminal_id"), ("staff_user_id", "staff_user_id"),
                                        ("program_id", "program_id")])
def test_the_splits_by_terminal_staff_and_program_equal_the_ledger_filtered_by_each(world, by, key_of):
    filters = stats.Filters(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=20))
    rows = stats.statistics_split(filters=filters, by=by)
    assert len([row for row in rows if row["key"] is not None]) >= 2
    for row in rows:
        if row["key"] is None:
            continue
        want = expected(stats.Filters(filters.start, filters.end, **{key_of: row["key"]}))
        assert {key: row[key] for key in want if key in row} == {key: want[key] for key in want if key in row}


def test_the_program_and_staff_filters_equal_the_ledger(world):
    period = (FIRST_DAY, FIRST_DAY + datetime.timedelta(days=20))
    for filters in (stats.Filters(*period, program_id=world.programs["points"].pk),
                    stats.Filters(*period, program_id=world.programs["prepaid"].pk),
                    stats.Filters(*period, staff_user_id=world.staff[1].pk)):
        got, want = stats.statistics_totals(filters=filters), expected(filters)
        got.pop("registrations"), want.pop("registrations")  # registrations have no program or staff member
        assert got == want
        assert got["bookings"] > 0


@pytest.mark.parametrize("filtered_by", [None, "program_id", "terminal_id"])
@pytest.mark.parametrize("by", ["gender", "age_band", "postcode_area"])
def test_each_segment_equals_the_ledger_of_its_consenting_people(world, by, filtered_by):
    """Unfiltered and by program a segment is read from its own grouping; by terminal, from the
    grouping of all keys."""
    chosen = {"program_id": world.programs["points"].pk, "terminal_id": world.terminals[0].pk}.get(filtered_by)
    filters = stats.Filters(FIRST_DAY, FIRST_DAY + datetime.timedelta(days=20),
                            **({filtered_by: chosen} if filtered_by else {}))
    members: dict[str, list[int]] = {}
    for person in Cardholder.objects.all():
        latest = person.consents.filter(purpose="analysis").order_by("-id").first()
        if latest is not None and latest.granted:
            members.setdefault(getattr(person, by), []).extend(person.cards.values_list("pk", flat=True))
    rows = {row["key"]: row for row in stats.statistics_split(filters=filters, by=by)}
    known = {value: cards for value, cards in members.items() if value}  # "": not stated, with the unknown
    assert len(known) >= 2
    for value, cards in known.items():
        want = expected(filters, cards=cards)
        assert {key: rows[value][key] for key in _SPLIT_FIGURES} == {key: want[key] for key in _SPLIT_FIGURES}, value
    # Everyone else (no consent, not stated, cards without a holder) is "unknown", and all add up.
    total = expected(filters)
    for key in _SPLIT_FIGURES:
        assert sum(row[key] for row in rows.values()) == total[key]
