"""What the statistics page shows, read only from the rollups (loyalty.statistics.rollups defines
every figure); never from the ledger."""
import datetime
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from loyalty.models import Card, StatisticsCardDay, StatisticsCardholder, StatisticsDay
from loyalty.statistics.rollups import SUM_COLUMNS

SPLITS = ("gender", "age_band", "postcode_area", "terminal_id", "staff_user_id", "program_id")


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

    def previous(self) -> "Filters":
        """The period of the same length just before."""
        days = datetime.timedelta(days=self.length)
        return Filters(self.start - days, self.end - days, self.program_id, self.terminal_id, self.staff_user_id)


def _filtered(queryset: QuerySet, filters: Filters) -> QuerySet:
    queryset = queryset.filter(day__gte=filters.start, day__lte=filters.end)
    for key in ("program_id", "terminal_id", "staff_user_id"):
        if getattr(filters, key) is not None:
            queryset = queryset.filter(**{key: getattr(filters, key)})
    return queryset


def _sums() -> dict:
    return {column: Sum(column, default=0) for column in SUM_COLUMNS}


def statistics_totals(*, filters: Filters) -> dict:
    """Every sum of the period, active cards and registrations."""
    totals = _filtered(StatisticsDay.objects, filters).aggregate(**_sums())
    totals["active_cards"] = statistics_active_cards(filters=filters)
    totals["registrations"] = statistics_registrations(filters=filters)
    return totals


def statistics_totals_compared(*, filters: Filters, previous: Filters | None = None) -> list[dict]:
    """Rows (figure, value, previous, change in % or None) for the period and the one before (of
    the same length, or `previous`: a calendar month's report compares with the month before)."""
    now, before = statistics_totals(filters=filters), statistics_totals(filters=previous or filters.previous())
    return [{"figure": key, "value": now[key], "previous": before[key],
             "change": round((now[key] - before[key]) * 100 / before[key], 1) if before[key] else None}
            for key in now]


def statistics_series(*, filters: Filters, step: str = "day") -> list[dict]:
    """Sums per day, week (starting Monday) or month, oldest first."""
    queryset = _filtered(StatisticsDay.objects, filters)
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
    return list(_filtered(StatisticsDay.objects, filters).values(key=F(by)).annotate(**_sums())
                .order_by("-revenue_cents", "key"))


def statistics_active_cards(*, filters: Filters) -> int:
    return (_filtered(StatisticsCardDay.objects, filters).filter(visits__gt=0)
            .aggregate(n=Count("card_id", distinct=True))["n"])


def statistics_registrations(*, filters: Filters, by: str | None = None):
    """New cardholders in the period (not split by program, terminal or staff member)."""
    queryset = StatisticsCardholder.objects.filter(registered_on__gte=filters.start, registered_on__lte=filters.end)
    if by is None:
        return queryset.count()
    return list(queryset.values(key=F(by)).annotate(registrations=Count("pk")).order_by("key"))


def statistics_top_customers(*, filters: Filters, limit: int = 10) -> list[dict]:
    """The cards with the most revenue (then bookings); card number and holder's name of these only
    (the names are decrypted for the top ones alone)."""
    rows = list(_filtered(StatisticsCardDay.objects, filters).values("card_id")
                .annotate(revenue_cents=Sum("revenue_cents"), bookings=Sum("bookings"))
                .order_by("-revenue_cents", "-bookings", "card_id")[:limit])
    cards = Card.objects.select_related("cardholder").in_bulk([row["card_id"] for row in rows])
    for row in rows:
        card = cards[row["card_id"]]
        holder = card.cardholder
        row["number"] = card.number
        row["cardholder_id"] = card.cardholder_id
        row["name"] = " ".join(filter(None, [holder.first_name, holder.last_name])) if holder else ""
    return rows


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
