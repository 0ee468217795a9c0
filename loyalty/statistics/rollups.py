"""The statistics' rollups, computed from the ledger: the one place that defines every figure.

A day is the booking's local date (Europe/Berlin). Every figure is net: a reversal counts against the
family of the booking it reverses, on the day of the reversal (with the reversal's terminal and staff
member); a return counts against the sale it returns, on the day of the return.

=====================  =============================================================================
Figure                 Definition
=====================  =============================================================================
bookings (visits)      Bookings at the till: purchase, reward redeemed, top-up, payment, stamp, stamp
                       card redeemed, voucher issued, voucher redeemed, return; a reversal of one
                       counts −1. Not bookings: bonuses, adjustments, expiry, card replacement,
                       opening balances (the system's or the office's, not a customer's visit).
revenue                Purchase amounts: Σ purchase_amount_cents of purchases (earn) and payments
                       with prepaid money (pay), minus returns' amounts; a reversal subtracts what
                       the reversed booking added (adds back a reversed return). Top-ups are not
                       revenue (money taken in advance), nor are opening balances.
points issued          What landed on points balances: purchases (and payments earning points),
                       bonuses, adjustments (either sign: a correction of what was issued), minus
                       points taken back by returns and reversals of those.
points redeemed        Points spent on rewards, minus reversals of redemptions.
prepaid topped up      Cents topped up, bonuses and adjustments on prepaid, minus reversed top-ups.
prepaid spent          Cents paid with prepaid money, minus refunds by returns and reversals.
stamps given           Stamps given (and adjusted), minus reversed stamps.
stamps redeemed        Stamps of redeemed stamp cards, minus reversals.
vouchers sold          Value of vouchers issued (and adjusted), minus reversed issues.
vouchers redeemed      Value redeemed, minus reversed redemptions and refunds by returns.
active cards           Distinct cards with at least one booking at the till in the period (gross:
                       a card whose only booking is a reversal is not active).
registrations          Cardholders by the day of Cardholder.created_at (not from the ledger); not
                       split by program, terminal or staff member.
top customers          Cards by net revenue in the period (then bookings).
=====================  =============================================================================

Never counted as issued or redeemed: expiry (balance lapsing, not redemption), card replacement
(balance moving between cards), opening balances (balances brought over from an earlier system).
The rule for an entry: its direction is the sign of its amount, turned once for a return or a
reversal and twice for a reversal of a return; a positive direction (or an adjustment) counts as
issued/topped up/given/sold, a negative one as redeemed/spent. Amounts are what moved on the
balance: a part of a return that opened a claim (already spent) is counted when the claim is paid.

Segments are the current ones: a booking is counted in the segment its card's holder has now (a
person who withdraws the analysis consent leaves the segments for all their past bookings too, as
the withdrawal means their data is no longer analysed; a card without a holder, or a holder without
a granted analysis consent, is "unknown" — counted in every total, in no segment). StatisticsCard
and StatisticsCardholder hold the segment the rollups used; the refresh recomputes the days of every
card whose segment changed, so that rollups kept current equal a rebuild, row for row.

Kept current by statistics_refresh (a Celery job every few minutes, and the nightly run): idempotent
(each day is deleted and computed again, under a transaction-scoped advisory lock), it recomputes
the days of bookings after the last one it read, today, and the days of cards whose segment changed.
statistics_rebuild recomputes everything from the ledger.

What is stored, so that a page reads few rows: each day's sums in every grouping of GROUPINGS
(StatisticsDay); each card's day (StatisticsCardDay: active cards and top customers, which cannot be
summed from the day rows); and each card's calendar months and years (StatisticsCardPeriod, the card
days added up, changed by what the refresh takes out of and puts back into the card days). A
period's card figures read its whole years and months from these and the days between from the card
days (loyalty.statistics.selectors.calendar_blocks)."""
import calendar
import datetime

from django.db import connection, transaction
from django.utils import timezone

from loyalty.models import Cardholder, StatisticsState
from loyalty.segments import age_band_of
from loyalty.services.cardholders import birthday_key
from tenants.encryption import blind_index

TZ = "Europe/Berlin"
TILL_KINDS = ("earn", "redeem_reward", "top_up", "pay", "stamp", "redeem_stamps", "voucher_issue",
              "voucher_redeem", "return")
NOT_COUNTED = ("expiry", "card_replacement", "opening_balance")
FAMILIES = {  # program kind: (column of the positive direction, column of the negative)
    "points": ("points_issued", "points_redeemed"),
    "prepaid": ("prepaid_topped_up_cents", "prepaid_spent_cents"),
    "stamps": ("stamps_given", "stamps_redeemed"),
    "voucher": ("vouchers_sold_cents", "vouchers_redeemed_cents"),
}
SUM_COLUMNS = ("bookings", "revenue_cents", *(column for pair in FAMILIES.values() for column in pair))
_LOCK = 0x5747_0018  # pg_advisory_xact_lock key of the statistics (per schema: keyed with its name)

_TILL = ", ".join(f"'{kind}'" for kind in TILL_KINDS)
_NOT_COUNTED = ", ".join(f"'{kind}'" for kind in NOT_COUNTED)

# The bookings of the chosen days, each with what it counts for; {where} limits the days.
_BOOKINGS = f"""
    SELECT b.id, b.card_id, b.terminal_id, b.staff_user_id,
           COALESCE(b.program_id, r.program_id) AS program_id,
           (b.created_at AT TIME ZONE '{TZ}')::date AS day,
           CASE WHEN b.kind = 'reversal' THEN r.kind ELSE b.kind END AS eff_kind,
           CASE WHEN b.kind = 'reversal' AND r.kind = 'return' THEN 2
                WHEN b.kind IN ('return', 'reversal') THEN 1 ELSE 0 END AS negations,
           CASE WHEN b.kind IN ({_TILL}) THEN 1
                WHEN b.kind = 'reversal' AND r.kind IN ({_TILL}) THEN -1 ELSE 0 END AS bookings,
           CASE WHEN b.kind IN ({_TILL}) THEN 1 ELSE 0 END AS visits,
           CASE WHEN b.kind = 'reversal'
                THEN -COALESCE(r.purchase_amount_cents, 0) * CASE WHEN r.kind = 'return' THEN -1 ELSE 1 END
                ELSE COALESCE(b.purchase_amount_cents, 0) * CASE WHEN b.kind = 'return' THEN -1 ELSE 1 END
           END AS revenue,
           COALESCE(s.gender, '') AS gender, COALESCE(s.age_band, '') AS age_band,
           COALESCE(s.postcode_area, '') AS postcode_area
    FROM loyalty_booking b
    LEFT JOIN loyalty_booking r ON r.id = b.reverses_id
    LEFT JOIN loyalty_statisticscard s ON s.card_id = b.card_id
    WHERE {{where}}
"""


def _family_sums() -> str:
    direction = "SIGN(e.amount) * CASE WHEN b.negations = 1 THEN -1 ELSE 1 END"
    positive = f"(b.eff_kind = 'adjustment' OR {direction} > 0)"
    parts = []
    for kind, (plus, minus) in FAMILIES.items():
        parts.append(f"SUM(CASE WHEN p.kind = '{kind}' AND {positive} THEN e.amount ELSE 0 END) AS {plus}")
        parts.append(f"SUM(CASE WHEN p.kind = '{kind}' AND NOT {positive} THEN -e.amount ELSE 0 END) AS {minus}")
    return ",\n           ".join(parts)


_KEYS = ("program_id", "terminal_id", "staff_user_id", "gender", "age_band", "postcode_area")
_SEGMENT_KEYS = ("gender", "age_band", "postcode_area")
# Each day is summed in every grouping, the smallest first: a query reads the first one that has
# every key it filters or splits by (grouping_for). The segments go with the program alone: a split
# by postcode area per terminal and staff member would be nearly one row per booking.
GROUPINGS = {
    "till": ("program_id", "terminal_id", "staff_user_id"),
    "gender": ("program_id", "gender"),
    "age_band": ("program_id", "age_band"),
    "postcode_area": ("program_id", "postcode_area"),
    "all": _KEYS,
}


def grouping_for(keys) -> str:
    """The smallest grouping that has every one of `keys`."""
    return next(name for name, grouped in GROUPINGS.items() if set(keys) <= set(grouped))


_FAMILY_COLUMNS = [column for pair in FAMILIES.values() for column in pair]
_ZEROS = ", ".join(f"0 AS {column}" for column in _FAMILY_COLUMNS)


def _grouping_label() -> str:
    """SQL naming the grouping set a row of GROUP BY GROUPING SETS belongs to (GROUPING() has a bit
    set for each key the row is not grouped by)."""
    cases = []
    for name, grouped in GROUPINGS.items():
        bits = sum(1 << (len(_KEYS) - 1 - index) for index, key in enumerate(_KEYS) if key not in grouped)
        cases.append(f"WHEN {bits} THEN '{name}'")
    return f"CASE GROUPING({', '.join(_KEYS)}) {' '.join(cases)} END"


_GROUPING_SETS = ", ".join(f"(day, {', '.join(grouped)})" for grouped in GROUPINGS.values())
_KEY_VALUES = ", ".join(f"COALESCE({key}, '') AS {key}" if key in _SEGMENT_KEYS else key for key in _KEYS)

_DAY_INSERT = f"""
    WITH b AS ({_BOOKINGS})
    INSERT INTO loyalty_statisticsday (day, grouping, {", ".join(_KEYS)}, {", ".join(SUM_COLUMNS)})
    SELECT day, {_grouping_label()}, {_KEY_VALUES}, {", ".join(f"SUM({column})" for column in SUM_COLUMNS)}
    FROM (
        SELECT day, {", ".join(_KEYS)}, bookings, revenue AS revenue_cents, {_ZEROS}
        FROM b WHERE b.eff_kind NOT IN ({_NOT_COUNTED})
        UNION ALL
        SELECT b.day, a.program_id, b.terminal_id, b.staff_user_id, b.gender, b.age_band, b.postcode_area,
               0, 0, {_family_sums()}
        FROM b
        JOIN loyalty_ledgerentry e ON e.booking_id = b.id
        JOIN loyalty_account a ON a.id = e.account_id
        JOIN loyalty_program p ON p.id = a.program_id
        WHERE b.eff_kind NOT IN ({_NOT_COUNTED})
        GROUP BY b.day, a.program_id, b.terminal_id, b.staff_user_id, b.gender, b.age_band, b.postcode_area
    ) rows
    GROUP BY GROUPING SETS ({_GROUPING_SETS})
    HAVING {" OR ".join(f"SUM({column}) <> 0" for column in SUM_COLUMNS)}
"""

_CARD_DAY_INSERT = f"""
    WITH b AS ({_BOOKINGS})
    INSERT INTO loyalty_statisticscardday (day, card_id, program_id, terminal_id, staff_user_id, visits,
                                           bookings, revenue_cents)
    SELECT day, card_id, program_id, terminal_id, staff_user_id, SUM(visits), SUM(bookings), SUM(revenue)
    FROM b WHERE b.eff_kind NOT IN ({_NOT_COUNTED})
    GROUP BY day, card_id, program_id, terminal_id, staff_user_id
    HAVING SUM(visits) <> 0 OR SUM(bookings) <> 0 OR SUM(revenue) <> 0
"""

# Each cardholder's current segment: their bands and gender with a granted analysis consent (the
# latest consent row of that purpose), else unknown; anonymised people are unknown.
_CURRENT_SEGMENT = """
    SELECT h.id AS cardholder_id, (h.created_at AT TIME ZONE %(tz)s)::date AS registered_on,
           CASE WHEN c.granted THEN h.gender ELSE '' END AS gender,
           CASE WHEN c.granted THEN h.age_band ELSE '' END AS age_band,
           CASE WHEN c.granted THEN h.postcode_area ELSE '' END AS postcode_area
    FROM loyalty_cardholder h
    LEFT JOIN LATERAL (
        SELECT granted FROM loyalty_consent
        WHERE cardholder_id = h.id AND purpose = 'analysis' ORDER BY id DESC LIMIT 1
    ) c ON true
"""


def _execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [_LOCK])


def _cardholders_sync() -> None:
    """StatisticsCardholder := every cardholder's registration day and current segment."""
    _execute(f"""
        INSERT INTO loyalty_statisticscardholder (cardholder_id, registered_on, gender, age_band, postcode_area)
        SELECT * FROM ({_CURRENT_SEGMENT}) current
        ON CONFLICT (cardholder_id) DO UPDATE SET
            registered_on = EXCLUDED.registered_on, gender = EXCLUDED.gender,
            age_band = EXCLUDED.age_band, postcode_area = EXCLUDED.postcode_area
        WHERE (loyalty_statisticscardholder.registered_on, loyalty_statisticscardholder.gender,
               loyalty_statisticscardholder.age_band, loyalty_statisticscardholder.postcode_area)
              IS DISTINCT FROM (EXCLUDED.registered_on, EXCLUDED.gender, EXCLUDED.age_band,
                                EXCLUDED.postcode_area)
    """, {"tz": TZ})


def _cards_sync() -> list[int]:
    """StatisticsCard := each card's current segment (through its holder, after _cardholders_sync);
    returns the cards whose segment changed."""
    current = """
        SELECT card.id AS card_id, h.gender, h.age_band, h.postcode_area
        FROM loyalty_card card JOIN loyalty_statisticscardholder h ON h.cardholder_id = card.cardholder_id
        WHERE h.gender <> '' OR h.age_band <> '' OR h.postcode_area <> ''
    """
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT COALESCE(n.card_id, o.card_id) FROM ({current}) n
            FULL OUTER JOIN loyalty_statisticscard o ON o.card_id = n.card_id
            WHERE (n.gender, n.age_band, n.postcode_area) IS DISTINCT FROM (o.gender, o.age_band, o.postcode_area)
        """)
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            cursor.execute("DELETE FROM loyalty_statisticscard WHERE card_id = ANY(%s)", [changed])
            cursor.execute(f"INSERT INTO loyalty_statisticscard (card_id, gender, age_band, postcode_area) "
                           f"SELECT * FROM ({current}) n WHERE n.card_id = ANY(%s)", [changed])
    return changed


# The card days of the chosen days added to (sign 1) or taken out of (sign -1) their months and years.
_CARD_PERIODS_ADD = """
    INSERT INTO loyalty_statisticscardperiod (span, starts_on, card_id, visits, bookings, revenue_cents)
    SELECT span.name, date_trunc(span.name, d.day)::date, d.card_id,
           %(sign)s * SUM(d.visits), %(sign)s * SUM(d.bookings), %(sign)s * SUM(d.revenue_cents)
    FROM loyalty_statisticscardday d CROSS JOIN (VALUES ('month'), ('year')) span(name)
    WHERE {where}
    GROUP BY span.name, date_trunc(span.name, d.day), d.card_id
    HAVING SUM(d.visits) <> 0 OR SUM(d.bookings) <> 0 OR SUM(d.revenue_cents) <> 0
    ON CONFLICT (span, starts_on, card_id) DO UPDATE SET
        visits = loyalty_statisticscardperiod.visits + EXCLUDED.visits,
        bookings = loyalty_statisticscardperiod.bookings + EXCLUDED.bookings,
        revenue_cents = loyalty_statisticscardperiod.revenue_cents + EXCLUDED.revenue_cents
"""


def _days_recompute(days: set[datetime.date]) -> None:
    if not days:
        return
    days = sorted(days)
    # The range lets the index on created_at find the rows; the list picks the days.
    start = timezone.make_aware(datetime.datetime.combine(days[0] - datetime.timedelta(days=1), datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(days[-1] + datetime.timedelta(days=2), datetime.time()))
    where = f"b.created_at >= %(start)s AND b.created_at < %(end)s AND (b.created_at AT TIME ZONE '{TZ}')::date = ANY(%(days)s)"
    params = {"start": start, "end": end, "days": days}
    card_periods_add = _CARD_PERIODS_ADD.format(where="d.day = ANY(%(days)s)")
    _execute(card_periods_add, {**params, "sign": -1})
    _execute("DELETE FROM loyalty_statisticsday WHERE day = ANY(%(days)s)", params)
    _execute("DELETE FROM loyalty_statisticscardday WHERE day = ANY(%(days)s)", params)
    _execute(_DAY_INSERT.format(where=where), params)
    _execute(_CARD_DAY_INSERT.format(where=where), params)
    _execute(card_periods_add, {**params, "sign": 1})
    # A month or year whose sums came to nothing has no row, as after a rebuild.
    _execute("""DELETE FROM loyalty_statisticscardperiod
                WHERE ((span = 'month' AND starts_on = ANY(%(months)s)) OR (span = 'year' AND starts_on = ANY(%(years)s)))
                  AND visits = 0 AND bookings = 0 AND revenue_cents = 0""",
             {"months": sorted({day.replace(day=1) for day in days}),
              "years": sorted({datetime.date(day.year, 1, 1) for day in days})})


def _booking_days(sql: str, params) -> set[datetime.date]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT (created_at AT TIME ZONE '{TZ}')::date FROM loyalty_booking WHERE {sql}",
                       params)
        return {row[0] for row in cursor.fetchall()}


def _state() -> StatisticsState:
    state = StatisticsState.objects.select_for_update().first()
    return state or StatisticsState.objects.create()


@transaction.atomic
def statistics_refresh(*, today: datetime.date | None = None) -> dict:
    """Bring the rollups up to date: the days of bookings after the last one read, today (and
    yesterday, whose late bookings may have come after the last run), and the days of every card
    whose segment changed. Idempotent; runs one at a time per merchant."""
    today = today or timezone.localdate()
    _lock()
    state = _state()
    _cardholders_sync()
    changed_cards = _cards_sync()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM loyalty_booking")
        last_id = cursor.fetchone()[0]
    days = _booking_days("id > %s AND id <= %s", [state.booking_id_done, last_id])
    if changed_cards:
        days |= _booking_days("card_id = ANY(%s)", [changed_cards])
    days |= {today, today - datetime.timedelta(days=1)}
    _days_recompute(days)
    state.booking_id_done = last_id
    state.refreshed_at = timezone.now()
    state.save()
    return {"days": len(days), "cards_changed": len(changed_cards)}


@transaction.atomic
def statistics_rebuild() -> dict:
    """Everything again from the ledger and the cardholders."""
    _lock()
    state = _state()
    for table in ("statisticsday", "statisticscardday", "statisticscardperiod", "statisticscard",
                  "statisticscardholder"):
        _execute(f"DELETE FROM loyalty_{table}")
    _cardholders_sync()
    _cards_sync()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM loyalty_booking")
        last_id = cursor.fetchone()[0]
    _execute(_DAY_INSERT.format(where="true"))
    _execute(_CARD_DAY_INSERT.format(where="true"))
    _execute(_CARD_PERIODS_ADD.format(where="true"), {"sign": 1})
    state.booking_id_done = last_id
    state.refreshed_at = timezone.now()
    state.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM loyalty_statisticsday")
        rows = cursor.fetchone()[0]
    return {"rows": rows}


def age_bands_refresh(*, today: datetime.date) -> int:
    """The nightly run: the people whose birthday is today may enter a new age band. Found through
    birthday_index (a keyed hash of month and day), so only they are decrypted; returns how many
    changed band (the next refresh moves their bookings)."""
    days = [birthday_key(today)]
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        days.append("02-29")  # 29 February's people complete a year on the 28th in other years
    indexes = [blind_index(day, schema_name=connection.schema_name, field="birthday") for day in days]
    changed = []
    for person in Cardholder.objects.filter(birthday_index__in=indexes, anonymised_at__isnull=True):
        band = age_band_of(person.birth_date, on=today)
        if band != person.age_band:
            person.age_band = band
            changed.append(person)
    Cardholder.objects.bulk_update(changed, ["age_band"])
    return len(changed)
