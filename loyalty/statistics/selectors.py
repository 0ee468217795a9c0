"""What the statistics page shows, read only from the rollups (loyalty.statistics.rollups defines
every figure); never from the ledger."""
import calendar
import dataclasses
import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from loyalty.models import Card, StatisticsCardholder, StatisticsDay
from loyalty.statistics.rollups import SUM_COLUMNS, grouping_for

SPLITS = ("gender", "age_band", "postcode_area", "terminal_id", "staff_user_id", "program_id")


def period_of(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The day, week (Monday to Sunday), month or year around `day`."""
    if period == "day":
        return day, day
    if period == "week":
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=6)
    if period == "year":
        return datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_of(period: str, start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period shown beside it: the calendar day, week, month or year before; for a period of
    its own, the same number of days before."""
    if period == "custom":
        days = datetime.timedelta(days=(end - start).days + 1)
        return start - days, end - days
    return period_of(period, start - datetime.timedelta(days=1))


@dataclass(frozen=True)
class Filters:
    start: datetime.date
    end: datetime.date  # inclusive
    program_id: int | None = None
    terminal_id: int | None = None
    staff_user_id: int | None = None

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self, period: str = "custom") -> "Filters":
        """The period shown beside it (previous_of), with the same filters."""
        start, end = previous_of(period, self.start, self.end)
        return dataclasses.replace(self, start=start, end=end)

    @property
    def keys(self) -> list[str]:
        """The keys it filters by."""
        return [key for key in ("program_id", "terminal_id", "staff_user_id") if getattr(self, key) is not None]


def _filtered(queryset: QuerySet, filters: Filters) -> QuerySet:
    queryset = queryset.filter(day__gte=filters.start, day__lte=filters.end)
    return queryset.filter(**{key: getattr(filters, key) for key in filters.keys})


def _days(filters: Filters, by: str | None = None) -> QuerySet:
    """The day rows of the period and filters, in the smallest grouping that has the keys needed."""
    keys = filters.keys + ([by] if by else [])
    return _filtered(StatisticsDay.objects.filter(grouping=grouping_for(keys)), filters)


def _sums() -> dict:
    return {column: Sum(column, default=0) for column in SUM_COLUMNS}


def statistics_totals(*, filters: Filters, cards: "CardFigures | None" = None) -> dict:
    """Every sum of the period, active cards and registrations (`cards`: the period's card figures,
    when they have been read already)."""
    totals = _days(filters).aggregate(**_sums())
    totals["active_cards"] = (cards or statistics_cards(filters=filters, top=0)).active
    totals["registrations"] = statistics_registrations(filters=filters)
    return totals


def statistics_totals_compared(*, filters: Filters, previous: Filters | None = None,
                               cards: "CardFigures | None" = None) -> list[dict]:
    """Rows (figure, value, previous, change in % or None) for the period and the one before (of
    the same length, or `previous`: a calendar month compares with the month before)."""
    now = statistics_totals(filters=filters, cards=cards)
    before = statistics_totals(filters=previous or filters.previous())
    return [{"figure": key, "value": now[key], "previous": before[key],
             "change": round((now[key] - before[key]) * 100 / before[key], 1) if before[key] else None}
            for key in now]


def statistics_series(*, filters: Filters, step: str = "day") -> list[dict]:
    """Sums per day, week (starting Monday) or month, oldest first."""
    queryset = _days(filters)
    if step == "week":
        queryset = queryset.annotate(period=TruncWeek("day"))
    elif step == "month":
        queryset = queryset.annotate(period=TruncMonth("day"))
    else:
        return list(queryset.values(period=F("day")).annotate(**_sums()).order_by("period"))
    return list(queryset.values("period").annotate(**_sums()).order_by("period"))


def statistics_split(*, filters: Filters, by: str) -> list[dict]:
    """Sums per gender, age band, postcode area, terminal, staff member or program."""
    if by not in SPLITS:
        raise ValueError(by)
    return list(_days(filters, by).values(key=F(by)).annotate(**_sums())
                .order_by("-revenue_cents", "key"))


YEAR_LESS_DAYS = 31  # a year less at most this many days is read as the year minus those days


def calendar_blocks(start: datetime.date, end: datetime.date) -> tuple[list, list, list, list]:
    """The period as calendar years and months and ranges of days, to add up per card: (year starts,
    month starts, [(first day, last day)] to add, [(first day, last day)] to take away). A year wholly
    inside is one block; so is a year of which at most YEAR_LESS_DAYS days lie outside (the last 365
    days: this year less the rest of it), those days then taken away. Otherwise each month wholly
    inside is one block and the days left over are added one range at a time."""
    years, months, ranges, less = [], [], [], []
    for year in range(start.year, end.year + 1):
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        inside_first, inside_last = max(start, first), min(end, last)
        outside = (inside_first - first).days + (last - inside_last).days
        if outside <= YEAR_LESS_DAYS:
            years.append(first)
            less += [(day_from, day_to) for day_from, day_to in ((first, inside_first - datetime.timedelta(days=1)),
                                                                  (inside_last + datetime.timedelta(days=1), last))
                     if day_from <= day_to]
            continue
        day = inside_first
        while day <= inside_last:
            month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
            if day.day == 1 and month_end <= inside_last:
                months.append(day)
                day = month_end + datetime.timedelta(days=1)
                continue
            if ranges and ranges[-1][1] == day - datetime.timedelta(days=1):
                ranges[-1] = (ranges[-1][0], day)
            else:
                ranges.append((day, day))
            day += datetime.timedelta(days=1)
    return years, months, ranges, less


# Per card that booked in the period: whole years and months from the card periods, the other days
# (or, when something is filtered, every day: the periods hold all programs, terminals and staff
# members) from the card days. A single month or year has one row per card already.
_CARD_PERIODS = """
    SELECT card_id, visits, bookings, revenue_cents FROM loyalty_statisticscardperiod
    WHERE (span = 'year' AND starts_on = ANY(%(years)s::date[])) OR (span = 'month' AND starts_on = ANY(%(months)s::date[]))
"""
_CARD_DAYS = """
    SELECT d.card_id, {sign} d.visits, {sign} d.bookings, {sign} d.revenue_cents FROM loyalty_statisticscardday d
    JOIN unnest(%({firsts})s::date[], %({lasts})s::date[]) r(first_day, last_day)
         ON d.day >= r.first_day AND d.day <= r.last_day
    WHERE {where}
"""


def _card_sums(filters: Filters) -> tuple[str, dict]:
    if filters.keys:
        years, months, ranges, less = [], [], [(filters.start, filters.end)], []
    else:
        years, months, ranges, less = calendar_blocks(filters.start, filters.end)
    params = {"years": years, "months": months, **{key: getattr(filters, key) for key in filters.keys},
              "firsts": [first for first, _last in ranges], "lasts": [last for _first, last in ranges],
              "less_firsts": [first for first, _last in less], "less_lasts": [last for _first, last in less]}
    if len(years) + len(months) == 1 and not ranges and not less:
        return _CARD_PERIODS, params
    where = " AND ".join(f"d.{key} = %({key})s" for key in filters.keys) or "true"
    parts = ([_CARD_PERIODS] if years or months else []) + \
        ([_CARD_DAYS.format(sign="", firsts="firsts", lasts="lasts", where=where)] if ranges else []) + \
        ([_CARD_DAYS.format(sign="-", firsts="less_firsts", lasts="less_lasts", where=where)] if less else [])
    # A card whose days taken away were all it had comes to nothing: it did not book in the period.
    return (f"SELECT card_id, SUM(visits) AS visits, SUM(bookings) AS bookings, SUM(revenue_cents) AS revenue_cents "
            f"FROM ({' UNION ALL '.join(parts)}) parts GROUP BY card_id "
            f"HAVING SUM(visits) <> 0 OR SUM(bookings) <> 0 OR SUM(revenue_cents) <> 0"), params


@dataclass(frozen=True)
class CardFigures:
    active: int  # cards with a booking at the till in the period
    top: list  # the `top` cards with the most revenue (then bookings), as statistics_top_customers


def statistics_cards(*, filters: Filters, top: int = 10) -> CardFigures:
    """The active cards and the top customers, from one reading of the cards' sums; card number and
    holder's name of the top ones only (the names are decrypted for these alone)."""
    sql, params = _card_sums(filters)
    with connection.cursor() as cursor:
        if not top:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) cards WHERE visits > 0", params)
            return CardFigures(active=cursor.fetchone()[0], top=[])
        cursor.execute(f"""
            WITH cards AS ({sql})
            SELECT (SELECT COUNT(*) FROM cards WHERE visits > 0), best.card_id, best.revenue_cents, best.bookings
            FROM (SELECT 1) one LEFT JOIN LATERAL (
                SELECT card_id, revenue_cents, bookings FROM cards
                ORDER BY revenue_cents DESC, bookings DESC, card_id LIMIT %(top)s
            ) best ON true""", {**params, "top": top})
        found = cursor.fetchall()
    rows = [{"card_id": card, "revenue_cents": revenue, "bookings": bookings}
            for _active, card, revenue, bookings in found if card is not None]
    cards = Card.objects.select_related("cardholder").in_bulk([row["card_id"] for row in rows])
    for row in rows:
        card = cards[row["card_id"]]
        holder = card.cardholder
        row["number"] = card.number
        row["cardholder_id"] = card.cardholder_id
        row["name"] = " ".join(filter(None, [holder.first_name, holder.last_name])) if holder else ""
    return CardFigures(active=found[0][0], top=rows)


def statistics_registrations(*, filters: Filters, by: str | None = None):
    """New cardholders in the period (not split by program, terminal or staff member)."""
    queryset = StatisticsCardholder.objects.filter(registered_on__gte=filters.start, registered_on__lte=filters.end)
    if by is None:
        return queryset.count()
    return list(queryset.values(key=F(by)).annotate(registrations=Count("pk")).order_by("key"))


def statistics_top_customers(*, filters: Filters, limit: int = 10) -> list[dict]:
    """The cards with the most revenue (then bookings), with card number and holder's name."""
    return statistics_cards(filters=filters, top=limit).top


def statistics_campaign(*, start: datetime.date, end: datetime.date, by: str = "gender") -> dict:
    """A period (or a bonus action's validity) against the same length before it: revenue, visits
    (bookings) and new cards, in total and per segment."""
    during, before = Filters(start, end), Filters(start, end).previous()

    def figures(filters):
        split = {row["key"]: row for row in statistics_split(filters=filters, by=by)}
        new = {row["key"]: row["registrations"] for row in statistics_registrations(filters=filters, by=by)}
        return split, new

    (split_now, new_now), (split_before, new_before) = figures(during), figures(before)
    keys = sorted(set(split_now) | set(split_before) | set(new_now) | set(new_before))
    rows = [{"key": key,
             "revenue_cents": split_now.get(key, {}).get("revenue_cents", 0),
             "revenue_cents_before": split_before.get(key, {}).get("revenue_cents", 0),
             "bookings": split_now.get(key, {}).get("bookings", 0),
             "bookings_before": split_before.get(key, {}).get("bookings", 0),
             "new_cards": new_now.get(key, 0), "new_cards_before": new_before.get(key, 0)} for key in keys]
    total = {name: sum(row[name] for row in rows) for name in rows[0] if name != "key"} if rows else {}
    return {"during": during, "before": before, "rows": rows, "total": total}
