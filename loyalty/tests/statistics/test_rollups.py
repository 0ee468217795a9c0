"""Rollups kept current by the refresh after each day's bookings equal a rebuild from the ledger, row
for row (including a reversal, a return and a person who withdraws the analysis consent afterwards:
segments are the current ones, so the refresh moves that person's earlier days)."""
import pytest
from django.db import connection

from loyalty.statistics.rollups import statistics_rebuild, statistics_refresh

pytestmark = pytest.mark.django_db

TABLES = {
    "loyalty_statisticsday": "day, grouping, program_id, terminal_id, staff_user_id, gender, age_band, postcode_area, bookings, "
                             "revenue_cents, points_issued, points_redeemed, prepaid_topped_up_cents, "
                             "prepaid_spent_cents, stamps_given, stamps_redeemed, vouchers_sold_cents, "
                             "vouchers_redeemed_cents",
    "loyalty_statisticscardday": "day, card_id, program_id, terminal_id, staff_user_id, visits, bookings, revenue_cents",
    "loyalty_statisticscardperiod": "span, starts_on, card_id, visits, bookings, revenue_cents",
    "loyalty_statisticscard": "card_id, gender, age_band, postcode_area",
    "loyalty_statisticscardholder": "cardholder_id, registered_on, gender, age_band, postcode_area",
}


def snapshot() -> dict:
    rows = {}
    with connection.cursor() as cursor:
        for table, columns in TABLES.items():
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")
            rows[table] = cursor.fetchall()
    return rows


def test_incremental_rollups_equal_a_rebuild(world):
    incremental = snapshot()
    assert len(incremental["loyalty_statisticsday"]) > 50
    groupings = {row[1] for row in incremental["loyalty_statisticsday"]}
    assert groupings == {"till", "gender", "age_band", "postcode_area", "all"}
    # The months and years of the earlier visits, and March's reversal of February's last sale.
    spans = {(row[0], row[1].isoformat()) for row in incremental["loyalty_statisticscardperiod"]}
    assert {("year", "2025-01-01"), ("year", "2026-01-01"), ("month", "2025-12-01"), ("month", "2026-02-01"),
            ("month", "2026-03-01")} <= spans
    withdrawer_cards = {card.pk for card in world.withdrawer.cards.all()}
    assert not any(row[0] in withdrawer_cards for row in incremental["loyalty_statisticscard"])
    statistics_rebuild()
    assert snapshot() == incremental


def test_a_second_refresh_changes_nothing(world):
    before = snapshot()
    statistics_refresh(today=world.days[-1])
    statistics_refresh(today=world.days[-1])
    assert snapshot() == before
